import { concatAll, count, lastValueFrom, mergeAll, mergeMap, of, take } from 'rxjs';
import { ServerError } from '../../src/errors/protocol-errors.js';
import { runEpisodes } from '../../src/session/episodes.js';
import { newScheduler, result, scriptedSession, step, type Act, type Obs } from './episode-fixtures.js';

const move = (obs: Obs): Act => ({ move: obs.x + 1 });
const anyId = expect.any(String) as unknown as string;

describe('runEpisodes', () => {
  it('runs episodes one after another, resetting with seed + episodeIndex', () => {
    let resets: unknown[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold('-r|', { r: result(0) });
      const s1 = cold('  -a|', { a: result(1, { reward: 1, done: true }) });
      const s2 = cold('    -b|', { b: result(2, { reward: 2, done: true }) });
      const session = scriptedSession(reset, [s1, s2]);
      const common = { episodeId: anyId, seed: 10 };
      expectObservable(runEpisodes(session, move, { count: 2, seed: 10 }).pipe(concatAll())).toBe('-ras(b|)', {
        r: step(0, 0, { at: 1, sentAt: 0, ...common }),
        a: step(1, 1, { at: 2, sentAt: 1, ...common, action: { move: 1 }, reward: 1, done: true }),
        s: step(0, 0, { at: 3, sentAt: 2, episodeId: anyId, seed: 11, episodeIndex: 1 }),
        b: step(1, 2, { at: 4, sentAt: 3, episodeId: anyId, seed: 11, episodeIndex: 1, action: { move: 1 }, reward: 2, done: true }),
      });
      // The second reset is sent only once the first episode completed.
      expectSubscriptions(reset.subscriptions).toBe(['^!', '--^!']);
      expectSubscriptions(s2.subscriptions).toBe('---^!');
      resets = session.resets;
    });
    expect(resets).toEqual([
      { seed: 10, episodeId: anyId },
      { seed: 11, episodeId: anyId },
    ]);
    const [first, second] = resets as { episodeId: string }[];
    expect(first?.episodeId).not.toEqual(second?.episodeId);
  });

  it('emits each episode lazily, when the previous one completed, and completes after the last', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const session = scriptedSession(cold('-r|', { r: result(0) }), [
        cold('-a|', { a: result(1, { done: true }) }),
        cold('-b|', { b: result(2, { done: true }) }),
      ]);
      const stepsOf = (x: number, seed: number, episodeIndex: number) =>
        cold('-r(a|)', {
          r: step(0, 0, { at: 1, sentAt: 0, episodeId: anyId, seed, episodeIndex }),
          a: step(1, x, { at: 2, sentAt: 1, episodeId: anyId, seed, episodeIndex, action: { move: 1 }, done: true }),
        });
      // Inner timestamps are absolute frames: the second episode starts at frame 2.
      const second = cold('-r(a|)', {
        r: step(0, 0, { at: 3, sentAt: 2, episodeId: anyId, seed: 1, episodeIndex: 1 }),
        a: step(1, 2, { at: 4, sentAt: 3, episodeId: anyId, seed: 1, episodeIndex: 1, action: { move: 1 }, done: true }),
      });
      expectObservable(runEpisodes(session, move, { count: 2, seed: 0 })).toBe('x-y-|', { x: stepsOf(1, 0, 0), y: second });
    });
  });

  it('leaves resets unseeded without a seed and completes at once for count 0', () => {
    let sent: unknown[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const session = scriptedSession(cold('-(r|)', { r: result(0, { done: true }) }), []);
      expectObservable(runEpisodes(session, move, { count: 0 })).toBe('|');
      expectObservable(runEpisodes(session, move, { count: 1 }).pipe(concatAll())).toBe('-(r|)', {
        r: step(0, 0, { at: 1, sentAt: 0, episodeId: anyId, done: true }),
      });
      sent = session.resets;
    });
    expect(sent).toEqual([{ episodeId: anyId }]);
    expect(sent[0]).not.toHaveProperty('seed');
  });

  it('is unbounded without count: take what you need', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold('-(r|)', { r: result(0, { done: true }) });
      const session = scriptedSession(reset, []);
      expectObservable(runEpisodes(session, move).pipe(concatAll(), take(3))).toBe('-rr(r|)', {
        r: expect.objectContaining({ kind: 'reset' }),
      });
      expectSubscriptions(reset.subscriptions).toBe(['^!', '-^!', '--^!']);
    });
  });

  it('waits on a reset that never answers and sends nothing else', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold<ReturnType<typeof result>>('-');
      const session = scriptedSession(reset, []);
      expectObservable(runEpisodes(session, move, { count: 3 }).pipe(concatAll()), '^----!').toBe('------');
      expectSubscriptions(reset.subscriptions).toBe('^----!');
    });
  });

  it('ends the series when an episode errors in a step: no further reset', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold('-r|', { r: result(0) });
      const session = scriptedSession(reset, [cold('-#', undefined, new ServerError('EXECUTION_ERROR', 'boom', {}))]);
      const episodes$ = runEpisodes(session, move, { count: 3 });
      expectObservable(episodes$.pipe(concatAll())).toBe(
        '-r#',
        { r: step(0, 0, { at: 1, sentAt: 0, episodeId: anyId }) },
        expect.objectContaining({ name: 'ServerError', context: expect.objectContaining({ episodeIndex: 0, stepIndex: 1 }) }),
      );
      expectSubscriptions(reset.subscriptions).toBe('^!');
    });
  });

  it('ends the series when the policy errors (the outer completes, the error stays with its episode)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold('-r|', { r: result(0) });
      const session = scriptedSession(reset, []);
      const policy = () => cold<Act>('--#', undefined, new Error('llm down'));
      const caught = runEpisodes(session, policy, { count: 3 }).pipe(
        mergeMap((episode) => episode.pipe(take(1))), // keeps the reset only, then unsubscribes
      );
      expectObservable(caught).toBe('-(r|)', { r: expect.objectContaining({ kind: 'reset', episodeIndex: 0 }) });
      const failing = runEpisodes(session, policy, { count: 3 }).pipe(concatAll());
      expectObservable(failing).toBe('-r-#', { r: expect.objectContaining({ kind: 'reset' }) }, expect.objectContaining({ name: 'PolicyError' }));
      expectSubscriptions(reset.subscriptions).toBe(['^!', '^!']);
    });
  });

  it('on early unsubscribe tears down the pending step and sends no further reset', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold('-r|', { r: result(0) });
      const s1 = cold('  ---a|', { a: result(1, { done: true }) });
      const session = scriptedSession(reset, [s1]);
      expectObservable(runEpisodes(session, move, { count: 2 }).pipe(concatAll()), '^--!').toBe('-r-', {
        r: expect.objectContaining({ kind: 'reset' }),
      });
      expectSubscriptions(s1.subscriptions).toBe('-^-!');
      expectSubscriptions(reset.subscriptions).toBe('^!');
    });
  });

  it('applies maxSteps to every episode', () => {
    let resets: { episodeId?: string }[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const step$ = cold('-a|', { a: result(1) });
      const session = scriptedSession(cold('-r|', { r: result(0) }), [step$, step$]);
      expectObservable(
        runEpisodes(session, move, { count: 2, maxSteps: 1, episodeId: 'ignored' } as never).pipe(concatAll()),
      ).toBe('-rar(a|)', {
        r: expect.objectContaining({ kind: 'reset', truncated: false }),
        a: expect.objectContaining({ kind: 'step', index: 1, truncated: true }),
      });
      resets = session.resets;
    });
    // An episodeId (not in the type) would make every episode share it: it is dropped.
    expect(resets).toHaveLength(2);
    expect(resets.map((r) => r.episodeId)).not.toContain('ignored');
  });

  it('with a slow policy, never overlaps requests, also when flattened with mergeAll', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold('-r|', { r: result(0) });
      const s1 = cold('    -a|', { a: result(1, { done: true }) });
      const s2 = cold('         -b|', { b: result(1, { done: true }) });
      const thinking = cold('---p|', { p: { move: 1 } });
      const session = scriptedSession(reset, [s1, s2]);
      expectObservable(runEpisodes(session, () => thinking, { count: 2 }).pipe(mergeAll())).toBe('-r---ar---(a|)', {
        r: expect.objectContaining({ kind: 'reset' }),
        a: expect.objectContaining({ kind: 'step', done: true }),
      });
      expectSubscriptions(reset.subscriptions).toBe(['^!', '-----^!']);
      expectSubscriptions(thinking.subscriptions).toBe(['-^--!', '------^--!']);
      expectSubscriptions(s1.subscriptions).toBe('----^!');
      expectSubscriptions(s2.subscriptions).toBe('---------^!');
    });
  });

  it('rejects a bad count with an InvalidOptionError', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const session = scriptedSession(cold('-r|', { r: result(0) }), []);
      expectObservable(runEpisodes(session, move, { count: 1.5 })).toBe('#', undefined, expect.objectContaining({ option: 'count' }));
    });
  });

  it('runs many episodes of a synchronous session without growing the stack', async () => {
    const session = { reset: () => of(result(0)), step: () => of(result(1, { done: true })) };
    const n = await lastValueFrom(runEpisodes(session, move, { count: 5000 }).pipe(concatAll(), count()));
    expect(n).toBe(10_000);
  });
});
