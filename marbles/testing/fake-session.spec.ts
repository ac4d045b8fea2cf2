import { concatAll, map } from 'rxjs';
import { newScheduler, right, values, type Move, type Pos } from './move-fixtures.js';
import { ServerError } from '../../src/errors/protocol-errors.js';
import { fakeSession, type FakeSession, type FakeSessionSpec } from '../../src/testing/fake-session.js';

const make = (cold: FakeSessionSpec<Move, Pos, unknown>['cold'], spec: Partial<FakeSessionSpec<Move, Pos, unknown>> = {}) =>
  fakeSession<Move, Pos, unknown>({ cold, reset: '-r|', steps: ['--a|', '--b|'], values, ...spec });

describe('fakeSession', () => {
  it('runs the real agent loop on marbles (the doc example) and records the actions', () => {
    let env!: FakeSession<Move, Pos, unknown>;
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      env = make(cold);
      const x$ = env.episode(right, { episodeId: 'e1' }).pipe(map((s) => s.observation.x));
      expectObservable(x$).toBe('-r-a-(b|)', { r: 0, a: 1, b: 2 });
      expectSubscriptions(env.resetSubscriptions).toBe('^!');
      expectSubscriptions(env.stepSubscriptions).toBe(['-^-!', '---^-!']);
    });
    expect(env.actions).toEqual([right(), right()]);
    expect(env.resets).toEqual([{ episodeId: 'e1' }]);
  });

  it('stamps steps with virtual time and fills defaults of the values', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const env = make(cold);
      expectObservable(env.episode(right, { episodeId: 'e1', seed: 3 })).toBe('-r-a-(b|)', {
        r: { observation: { x: 0 }, reward: null, done: false, truncated: false, kind: 'reset', index: 0, episodeId: 'e1', episodeIndex: 0, seed: 3, latencyMs: 1, timestamp: 1 },
        a: expect.objectContaining({ reward: 0, index: 1, action: right(), latencyMs: 2, timestamp: 3 }),
        b: expect.objectContaining({ reward: 1, done: true, index: 2, timestamp: 5 }),
      });
    });
  });

  it('feeds steps(action$) through concatMap: in order, never overlapping', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const env = make(cold, { steps: () => '---a|' });
      const action$ = hot('-x-y------|', { x: right(), y: { move: 'left' } });
      expectObservable(env.steps(action$).pipe(map((s) => s.observation.x))).toBe('----a---a-|', { a: 1 });
      expectSubscriptions(env.stepSubscriptions).toBe(['-^---!', '-----^---!']);
    });
  });

  it('runs episodes() one after another with seed + index, each with its own answers', () => {
    let env!: FakeSession<Move, Pos, unknown>;
    newScheduler().run(({ cold, expectObservable }) => {
      env = make(cold, { reset: ['-r|', '--r|'], steps: (_action, i) => (i === 0 ? '-b|' : '--b|') });
      const steps$ = env.episodes(right, { count: 2, seed: 100 }).pipe(
        concatAll(),
        map((s) => `${s.episodeIndex}:${s.seed}:${s.index}`),
      );
      expectObservable(steps$).toBe('-ab-c-(d|)', { a: '0:100:0', b: '0:100:1', c: '1:101:0', d: '1:101:1' });
    });
    expect(env.resets.map((r) => r.seed)).toEqual([100, 101]);
  });

  it('answers state, health, schema and metadata with fakes tracking the requests', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const env = make(cold);
      expectObservable(env.state()).toBe('(s|)', { s: { episode_id: null, step_count: 0 } });
      expectObservable(env.health()).toBe('(h|)', { h: { status: 'healthy' } });
      expectObservable(env.schema()).toBe('(s|)', { s: { action: {}, observation: {}, state: {} } });
      expectObservable(env.metadata()).toBe('(m|)', { m: expect.objectContaining({ name: 'fake' }) });
      const custom = make(cold, { state: { level: 3 }, name: 'grid' });
      expectObservable(custom.state()).toBe('(s|)', { s: { level: 3 } });
      expect(custom.name).toBe('grid');
    });
    // Outside run(): the requests are recorded when subscribed, before any answer.
    const env = fakeSession<Move, Pos, unknown>({ scheduler: newScheduler(), reset: '-r|', steps: ['-a|'], values });
    let state: unknown;
    env.reset({ episodeId: 'e9' }).subscribe();
    env.step(right()).subscribe();
    env.state().subscribe((s) => (state = s));
    expect(state).toEqual({ episode_id: 'e9', step_count: 1 });
  });

  it('emits the spec error on # (an error in a step)', () => {
    const failure = new ServerError('EXECUTION_ERROR', 'env raised', {});
    newScheduler().run(({ cold, expectObservable }) => {
      const env = make(cold, { steps: ['-#'], error: failure });
      expectObservable(env.episode(right, { episodeId: 'e1' }).pipe(map((s) => s.index))).toBe(
        '-0#',
        { 0: 0 },
        expect.objectContaining({ name: 'ServerError', context: expect.objectContaining({ stepIndex: 1, episodeId: 'e1' }) }),
      );
    });
  });

  it('errors with a SessionStateError when asked more steps than it was given', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const env = make(cold, { steps: [] });
      expectObservable(env.step(right())).toBe('#', undefined, expect.objectContaining({ name: 'SessionStateError', message: expect.stringContaining('step #0') }));
    });
  });

  it('waits on a reset that never answers', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const env = make(cold, { reset: '-' });
      expectObservable(env.episode(right), '^--!').toBe('---');
      expectSubscriptions(env.resetSubscriptions).toBe('^--!');
    });
  });

  it('shows the teardown of a pending step on early unsubscribe', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const env = make(cold, { steps: ['-----a|'] });
      expectObservable(env.episode(right).pipe(map((s) => s.index)), '^---!').toBe('-0--', { 0: 0 });
      expectSubscriptions(env.stepSubscriptions).toBe('-^--!');
    });
  });

  it('truncates at maxSteps', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const env = make(cold, { steps: () => '-a|' });
      expectObservable(env.episode(right, { maxSteps: 2 }).pipe(map((s) => s.truncated))).toBe('-ff(t|)', { f: false, t: true });
    });
  });

  it('with a slow policy, sends each step after the decision (no overlap)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const env = make(cold);
      const thinking = cold('--p|', { p: right() });
      expectObservable(env.episode(() => thinking).pipe(map((s) => s.index))).toBe('-0---1---(2|)', { 0: 0, 1: 1, 2: 2 });
      expectSubscriptions(thinking.subscriptions).toBe(['-^-!', '-----^-!']);
      expectSubscriptions(env.stepSubscriptions).toBe(['---^-!', '-------^-!']);
    });
  });

  it('works with a TestScheduler used without run(), stamping with its frames', () => {
    const scheduler = newScheduler();
    const env = fakeSession<Move, Pos, unknown>({ scheduler, reset: '-r|', steps: ['-b|'], values });
    const stamps: number[] = [];
    env.episode(right).subscribe((s) => stamps.push(s.timestamp));
    scheduler.flush();
    expect(stamps).toEqual([10, 20]); // 10 virtual ms per frame outside run mode
  });

  it('needs cold or scheduler', () => {
    expect(() => fakeSession({ reset: '-r|', steps: [], values })).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option: 'cold' }));
  });
});
