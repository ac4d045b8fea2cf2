import { InvalidOptionError } from '../../src/errors/usage-errors.js';
import { episodeStats } from '../../src/operators/episode-stats.js';
import { timeLimit } from '../../src/operators/time-limit.js';
import { newScheduler, step } from '../episode/episode-fixtures.js';

const act = { move: 1 };
const e = {
  r: step(0, 0, { at: 1, sentAt: 0 }),
  a: step(1, 1, { at: 3, sentAt: 1, action: act, reward: 1 }),
  b: step(2, 2, { at: 5, sentAt: 3, action: act, reward: 1 }),
  c: step(3, 3, { at: 7, sentAt: 5, action: act, reward: 1 }),
  d: step(3, 3, { at: 7, sentAt: 5, action: act, reward: 1, done: true }),
};

describe('timeLimit', () => {
  it('marks the maxSteps-th step truncated and completes there, unsubscribing the episode (the reset is not a step)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a-b-c-|', e);
      expectObservable(steps.pipe(timeLimit(2))).toBe('-r-a-(B|)', { ...e, B: { ...e.b, truncated: true } });
      expectSubscriptions(steps.subscriptions).toBe('^----!');
    });
  });

  it('keeps done distinct from truncated: a step done at the limit stays done, not truncated', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a-b-d-|', e).pipe(timeLimit(3))).toBe('-r-a-b-(d|)', e);
    });
  });

  it('passes an episode that ends sooner unchanged, and its completion', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a-b-d|', e).pipe(timeLimit(10))).toBe('-r-a-b-d|', e);
    });
  });

  it('feeds episodeStats a truncated episode of maxSteps steps', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a-b-c-|', e).pipe(timeLimit(1), episodeStats())).toBe('---(s|)', {
        s: { episodeId: 'e1', episodeIndex: 0, return: 1, length: 1, durationMs: 3, truncated: true, done: false },
      });
    });
  });

  it('completes empty on an empty source, stays silent on a never-ending one, passes errors on', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<typeof e.r>('---|').pipe(timeLimit(1))).toBe('---|');
      expectObservable(cold<typeof e.r>('-').pipe(timeLimit(1))).toBe('-');
      const failure = new Error('step failed');
      expectObservable(cold('-r-#', e, failure).pipe(timeLimit(5))).toBe('-r-#', e, failure);
    });
  });

  it('unsubscribes its source on early unsubscribe', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a-b-c-|', e);
      expectObservable(steps.pipe(timeLimit(3)), '^--!').toBe('-r--', e);
      expectSubscriptions(steps.subscriptions).toBe('^--!');
    });
  });

  it('refuses a maxSteps that is not an integer >= 1 with ERR_INVALID_OPTION', () => {
    expect(() => timeLimit(0)).toThrow(InvalidOptionError);
    expect(() => timeLimit(1.5)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'maxSteps' }));
  });
});
