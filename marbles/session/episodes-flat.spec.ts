import { concatAll, lastValueFrom, map, of, toArray } from 'rxjs';
import { newScheduler, right, values, type Move, type Pos } from '../testing/move-fixtures.js';
import { fakeSession, type FakeSessionSpec } from '../../src/testing/fake-session.js';
import { createSession } from '../../src/session/create-session.js';
import { fakeTransport } from '../../src/testing/fake-transport.js';

const make = (cold: FakeSessionSpec<Move, Pos, unknown>['cold']) =>
  fakeSession<Move, Pos, unknown>({ cold, reset: '-r|', steps: (_action, i) => (i % 2 === 0 ? '-a|' : '-b|'), values });

describe('episodes() is a stream of episode streams; episodesFlat() is every step in order', () => {
  it('episodes() emits an Observable per episode, the next only once the previous one ran: unsubscribed inners stall it', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const env = make(cold);
      const kinds$ = env.episodes(right, { count: 2 }).pipe(map((episode$) => typeof episode$.subscribe));
      expectObservable(kinds$, '^-------!').toBe('x-------', { x: 'function' });
      expectSubscriptions(env.resetSubscriptions).toBe([]); // nothing was sent
    });
  });

  it('episodesFlat() = episodes().pipe(concatAll()): resets and steps of every episode, then complete', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const env = make(cold);
      const flat$ = env.episodesFlat(right, { count: 2, seed: 7 }).pipe(map((s) => `${s.episodeIndex}:${s.kind}:${s.observation.x}:${s.seed}`));
      expectObservable(flat$).toBe('-abcde(f|)', {
        a: '0:reset:0:7',
        b: '0:step:1:7',
        c: '0:step:2:7', // done: the next reset is sent in this frame
        d: '1:reset:0:8',
        e: '1:step:1:8',
        f: '1:step:2:8',
      });
      expectSubscriptions(env.resetSubscriptions).toBe(['^!', '---^!']);
    });
  });

  it('the same on a real session over a transport', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      let step = 0;
      const transport = fakeTransport({
        reset: () => cold('-(r|)', { r: { observation: { x: 0 }, reward: null, done: false } }),
        step: () => cold('-(r|)', { r: { observation: { x: ++step }, reward: 1, done: step % 2 === 0 } }),
      });
      const session = createSession(transport, { name: 'flat' });
      const flat$ = session.episodesFlat(() => ({ move: 'right' }), { count: 2 }).pipe(map((s) => `${s.episodeIndex}${s.kind[0]}`));
      expectObservable(flat$).toBe('-abcde(f|)', { a: '0r', b: '0s', c: '0s', d: '1r', e: '1s', f: '1s' });
    });
  });

  it('episodesFlat() collects every step with toArray (episodes() would need concatAll first)', async () => {
    let answered = 0;
    const session = createSession(
      fakeTransport({
        reset: () => of({ observation: { x: 0 }, reward: null, done: false }),
        step: () => of({ observation: { x: (answered += 1) }, reward: 1, done: true }),
      }),
      { name: 'sync' },
    );
    const steps = await lastValueFrom(session.episodesFlat(() => ({}), { count: 3 }).pipe(toArray()));
    expect(steps.map((s) => `${s.episodeIndex}${s.kind[0]}`)).toEqual(['0r', '0s', '1r', '1s', '2r', '2s']);
    expect(await lastValueFrom(session.episodes(() => ({}), { count: 2 }).pipe(concatAll(), toArray()))).toHaveLength(4);
  });
});
