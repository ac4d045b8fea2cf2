import { EpisodeFailedError } from '../../src/errors/fleet-errors.js';
import { episodeStats } from '../../src/operators/episode-stats.js';
import { newScheduler, statsAction as act, statsEpisode as e1, statsEpisodeStats as e1Stats, step } from '../episode/episode-fixtures.js';

describe('episodeStats', () => {
  it('emits one stats object when the episode ends, summing step rewards only', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a-b-c-|', e1);
      expectObservable(steps.pipe(episodeStats())).toBe('-------s-|', { s: e1Stats });
      expectSubscriptions(steps.subscriptions).toBe('^--------!');
    });
  });

  it('splits a flattened stream of episodes at each reset, and reports truncation', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const e2 = {
        R: step(0, 0, { at: 30, sentAt: 29, episodeId: 'e2', episodeIndex: 1 }),
        A: step(1, 1, { at: 35, sentAt: 30, episodeId: 'e2', episodeIndex: 1, action: act, reward: 0.5, truncated: true }),
      };
      const steps = cold('rabcRA|', { ...e1, ...e2 });
      expectObservable(steps.pipe(episodeStats())).toBe('---x-y|', {
        x: e1Stats,
        y: { episodeId: 'e2', episodeIndex: 1, return: 0.5, length: 1, durationMs: 6, truncated: true, done: false },
      });
    });
  });

  it('ends a failed episode at its failure step: error kept, the lost step not counted, neither done nor truncated', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const failure = new EpisodeFailedError(true, new Error('socket closed'), { stepIndex: 3 });
      const lost = { ...step(3, 2, { at: 18, sentAt: 15, seed: 3, action: act, truncated: true }), error: failure };
      const steps = cold('-r-a-b-x-|', { ...e1, x: lost });
      expectObservable(steps.pipe(episodeStats())).toBe('-------s-|', {
        s: { episodeId: 'e1', episodeIndex: 0, seed: 3, return: -1, length: 2, durationMs: 10, truncated: false, done: false, error: failure },
      });
    });
  });

  it('keeps interleaved episodes of parallel sessions apart (rollouts)', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const on = (sessionIndex: number, s: ReturnType<typeof step>) => ({ ...s, sessionIndex });
      const steps = cold('rRaAb|', {
        r: on(0, step(0, 0, { at: 0, sentAt: 0, episodeId: 'p' })),
        R: on(1, step(0, 0, { at: 1, sentAt: 0, episodeId: 'q', episodeIndex: 1 })),
        a: on(0, step(1, 1, { at: 2, sentAt: 0, episodeId: 'p', action: act, reward: 1 })),
        A: on(1, step(1, 1, { at: 3, sentAt: 1, episodeId: 'q', episodeIndex: 1, action: act, reward: 7, done: true })),
        b: on(0, step(2, 1, { at: 4, sentAt: 2, episodeId: 'p', action: act, reward: 1, done: true })),
      });
      expectObservable(steps.pipe(episodeStats())).toBe('---QP|', {
        Q: { episodeId: 'q', episodeIndex: 1, sessionIndex: 1, return: 7, length: 1, durationMs: 3, truncated: false, done: true },
        P: { episodeId: 'p', episodeIndex: 0, sessionIndex: 0, return: 2, length: 2, durationMs: 4, truncated: false, done: true },
      });
    });
  });

  it('emits an episode cut short by completion, with done and truncated false', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const steps = cold('-r-a|', e1);
      expectObservable(steps.pipe(episodeStats())).toBe('----(s|)', {
        s: { episodeId: 'e1', episodeIndex: 0, seed: 3, return: -1, length: 1, durationMs: 4, truncated: false, done: false },
      });
    });
  });

  it('emits an episode whose id is reset again before it ended', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const steps = cold('-ar-|', { a: e1.a, r: step(0, 0, { at: 30, sentAt: 29 }) });
      expectObservable(steps.pipe(episodeStats())).toBe('--s-(t|)', {
        s: { episodeId: 'e1', episodeIndex: 0, seed: 3, return: -1, length: 1, durationMs: 2, truncated: false, done: false },
        t: { episodeId: 'e1', episodeIndex: 0, return: 0, length: 0, durationMs: 1, truncated: false, done: false },
      });
    });
  });

  it('completes empty on an empty source and stays silent on a never-ending one', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<ReturnType<typeof step>>('---|').pipe(episodeStats())).toBe('---|');
      expectObservable(cold<ReturnType<typeof step>>('-').pipe(episodeStats())).toBe('-');
    });
  });

  it('passes an error on and drops the open episode', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const failure = new Error('step failed');
      expectObservable(cold('-r-a-#', e1, failure).pipe(episodeStats())).toBe('-----#', undefined, failure);
    });
  });

  it('unsubscribes its source on early unsubscribe', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a-b-c-|', e1);
      expectObservable(steps.pipe(episodeStats()), '^---!').toBe('-----');
      expectSubscriptions(steps.subscriptions).toBe('^---!');
    });
  });
});
