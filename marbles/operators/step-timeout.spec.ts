import { stepTimeout } from '../../src/operators/step-timeout.js';
import { runEpisode } from '../../src/session/episode.js';
import { newScheduler, result, scriptedSession, step } from '../episode/episode-fixtures.js';

const act = { move: 1 };
const values = {
  r: step(0, 0, { at: 1, sentAt: 0 }),
  a: step(1, 1, { at: 3, sentAt: 1, action: act }),
  b: step(2, 2, { at: 5, sentAt: 3, action: act, done: true }),
};
const timedOut = (context: Record<string, unknown>) =>
  expect.objectContaining({
    name: 'TimeoutError',
    code: 'ERR_TIMEOUT',
    phase: 'step',
    timeoutMs: 3,
    context: expect.objectContaining(context),
  });

describe('stepTimeout', () => {
  it('passes steps through while each arrives in time', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a-b|', values).pipe(stepTimeout(3))).toBe('-r-a-b|', values);
    });
  });

  it('completes on an empty source; errors on a never-answering one, awaiting the reset', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<ReturnType<typeof step>>('--|').pipe(stepTimeout(3))).toBe('--|');
      expectObservable(cold<ReturnType<typeof step>>('-').pipe(stepTimeout(3, { env: 'grid_world' }))).toBe(
        '---#',
        undefined,
        timedOut({ env: 'grid_world', stepIndex: 0 }),
      );
    });
  });

  it('names the awaited step of the episode and unsubscribes the source', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a------b|', values);
      expectObservable(steps.pipe(stepTimeout(3))).toBe('-r-a--#', values, timedOut({ episodeId: 'e1', episodeIndex: 0, stepIndex: 2 }));
      expectSubscriptions(steps.subscriptions).toBe('^-----!');
    });
  });

  it('after an episode ended, awaits the next episode reset', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a-b----', values).pipe(stepTimeout(3))).toBe(
        '-r-a-b--#',
        values,
        timedOut({ episodeIndex: 1, stepIndex: 0 }),
      );
    });
  });

  it('passes a source error through', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const failure = new Error('boom');
      expectObservable(cold('-r-#', values, failure).pipe(stepTimeout(3))).toBe('-r-#', values, failure);
    });
  });

  it('cancels a step that never answers in an episode (teardown of the pending request)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const stuck = cold<ReturnType<typeof result>>('  -');
      const session = scriptedSession(cold('-r|', { r: result(0) }), [stuck]);
      const episode$ = runEpisode(session, () => act, { episodeId: 'e1' }).pipe(stepTimeout(3));
      expectObservable(episode$).toBe('-r--#', { r: values.r }, timedOut({ stepIndex: 1, episodeId: 'e1' }));
      expectSubscriptions(stuck.subscriptions).toBe('-^--!');
    });
  });

  it('on early unsubscribe, unsubscribes the source without erroring', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r------', values);
      expectObservable(steps.pipe(stepTimeout(3)), '^-!').toBe('-r-', values);
      expectSubscriptions(steps.subscriptions).toBe('^-!');
    });
  });

  it('rejects a negative duration', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r|', values).pipe(stepTimeout(-1))).toBe('#', undefined, expect.objectContaining({ name: 'InvalidOptionError', option: 'ms' }));
    });
  });
});
