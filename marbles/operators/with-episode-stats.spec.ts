import { EpisodeFailedError } from '../../src/errors/fleet-errors.js';
import { episodeStats } from '../../src/operators/episode-stats.js';
import { withEpisodeStats } from '../../src/operators/with-episode-stats.js';
import { newScheduler, statsAction as act, statsEpisode as e1, statsEpisodeStats as e1Stats, step } from '../episode/episode-fixtures.js';

describe('withEpisodeStats', () => {
  it('passes every step on and attaches the episode statistics (r, l, t) to the step that ends it', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a-b-c-|', e1);
      expectObservable(steps.pipe(withEpisodeStats())).toBe('-r-a-b-C-|', { ...e1, C: { ...e1.c, episode: e1Stats } });
      expectSubscriptions(steps.subscriptions).toBe('^--------!');
    });
  });

  it('agrees with episodeStats on a flattened stream: truncated and failed episodes too', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const failure = new EpisodeFailedError(true, new Error('socket closed'), { stepIndex: 2 });
      const more = {
        R: step(0, 0, { at: 30, sentAt: 29, episodeId: 'e2', episodeIndex: 1 }),
        A: step(1, 1, { at: 35, sentAt: 30, episodeId: 'e2', episodeIndex: 1, action: act, reward: 0.5, truncated: true }),
        S: step(0, 0, { at: 40, sentAt: 39, episodeId: 'e3', episodeIndex: 2 }),
        X: { ...step(1, 0, { at: 41, sentAt: 40, episodeId: 'e3', episodeIndex: 2, action: act, truncated: true }), error: failure },
      };
      const values = { ...e1, ...more };
      const e2Stats = { episodeId: 'e2', episodeIndex: 1, return: 0.5, length: 1, durationMs: 6, truncated: true, done: false };
      const e3Stats = { episodeId: 'e3', episodeIndex: 2, return: 0, length: 0, durationMs: 2, truncated: false, done: false, error: failure };
      expectObservable(cold('rabcRASX|', values).pipe(withEpisodeStats())).toBe('rabCRTSx|', {
        ...values,
        C: { ...e1.c, episode: e1Stats },
        T: { ...more.A, episode: e2Stats },
        x: { ...more.X, episode: e3Stats },
      });
      expectObservable(cold('rabcRASX|', values).pipe(episodeStats())).toBe('---1-2-3|', { 1: e1Stats, 2: e2Stats, 3: e3Stats });
    });
  });

  it('reports nothing for an episode still open at completion (no step carries it), and completes', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a|', e1).pipe(withEpisodeStats())).toBe('-r-a|', e1);
    });
  });

  it('completes empty on an empty source, stays silent on a never-ending one, passes errors on', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<typeof e1.r>('---|').pipe(withEpisodeStats())).toBe('---|');
      expectObservable(cold<typeof e1.r>('-').pipe(withEpisodeStats())).toBe('-');
      const failure = new Error('step failed');
      expectObservable(cold('-r-#', e1, failure).pipe(withEpisodeStats())).toBe('-r-#', e1, failure);
    });
  });

  it('unsubscribes its source on early unsubscribe', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a-b-c-|', e1);
      expectObservable(steps.pipe(withEpisodeStats()), '^--!').toBe('-r--', e1);
      expectSubscriptions(steps.subscriptions).toBe('^--!');
    });
  });
});
