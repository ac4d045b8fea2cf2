import { concatAll } from 'rxjs';
import { episodeTimeout } from '../../src/operators/episode-timeout.js';
import { runEpisodes } from '../../src/session/episodes.js';
import { newScheduler, result, scriptedSession, step } from '../episode/episode-fixtures.js';

const act = { move: 1 };
const values = {
  r: step(0, 0, { at: 1, sentAt: 0 }),
  a: step(1, 1, { at: 3, sentAt: 1, action: act }),
  b: step(2, 2, { at: 5, sentAt: 3, action: act, done: true }),
  R: step(0, 0, { at: 6, sentAt: 5, episodeId: 'e2', episodeIndex: 1 }),
  A: step(1, 1, { at: 7, sentAt: 6, episodeId: 'e2', episodeIndex: 1, action: act, truncated: true }),
};
const timedOut = (context: Record<string, unknown>) =>
  expect.objectContaining({ name: 'TimeoutError', phase: 'episode', timeoutMs: 6, context: expect.objectContaining(context) });

describe('episodeTimeout', () => {
  it('passes episodes that end in time, restarting the window at each end', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      // e1 ends at 5 (< 6), e2 ends at 10 (< 5 + 6).
      expectObservable(cold('-r-a-bR---A|', values).pipe(episodeTimeout(6))).toBe('-r-a-bR---A|', values);
    });
  });

  it('errors when an episode runs too long although every step is quick, and unsubscribes the source', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a-a-a-b|', values);
      expectObservable(steps.pipe(episodeTimeout(6, { env: 'grid_world' }))).toBe(
        '-r-a-a#',
        values,
        timedOut({ env: 'grid_world', episodeId: 'e1', episodeIndex: 0, stepIndex: 2 }),
      );
      expectSubscriptions(steps.subscriptions).toBe('^-----!');
    });
  });

  it('times the second episode from the end of the first', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a-bR-------A|', values).pipe(episodeTimeout(6))).toBe(
        '-r-a-bR----#',
        values,
        timedOut({ episodeId: 'e2', episodeIndex: 1, stepIndex: 1 }),
      );
    });
  });

  it('completes on an empty source and errors on a never-answering one', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<ReturnType<typeof step>>('--|').pipe(episodeTimeout(6))).toBe('--|');
      expectObservable(cold<ReturnType<typeof step>>('-').pipe(episodeTimeout(6))).toBe('------#', undefined, timedOut({ stepIndex: 0 }));
    });
  });

  it('passes a source error through', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const failure = new Error('boom');
      expectObservable(cold('-r-#', values, failure).pipe(episodeTimeout(6))).toBe('-r-#', values, failure);
    });
  });

  it('cancels the pending step of a real episode loop and sends no further reset', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold('-r|', { r: result(0) });
      const slow = cold('  ----a|', { a: result(1) });
      const session = scriptedSession(reset, [cold('-a|', { a: result(1) }), slow]);
      const steps$ = runEpisodes(session, () => act, { count: 2 }).pipe(concatAll(), episodeTimeout(6));
      expectObservable(steps$).toBe('-ra---#', { r: expect.objectContaining({ index: 0 }), a: expect.objectContaining({ index: 1 }) }, timedOut({ stepIndex: 2 }));
      expectSubscriptions(slow.subscriptions).toBe('--^---!');
      expectSubscriptions(reset.subscriptions).toBe('^!');
    });
  });

  it('on early unsubscribe, unsubscribes the source without erroring', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a------', values);
      expectObservable(steps.pipe(episodeTimeout(6)), '^--!').toBe('-r-', values);
      expectSubscriptions(steps.subscriptions).toBe('^--!');
    });
  });
});
