import { backoffDelay } from '../../src/operators/backoff-delay.js';
import { InvalidOptionError } from '../../src/errors/usage-errors.js';

describe('backoffDelay', () => {
  it('grows exponentially from initialMs by factor', () => {
    const delays = [1, 2, 3, 4].map((attempt) => backoffDelay(attempt, { initialMs: 100, factor: 3, maxMs: 1e6 }));
    expect(delays).toEqual([100, 300, 900, 2700]);
  });

  it('is capped at maxMs', () => {
    expect(backoffDelay(10, { initialMs: 100, factor: 2, maxMs: 1_000 })).toBe(1_000);
  });

  it('has defaults: 200 ms doubling up to 5 s, no jitter', () => {
    expect([1, 2, 6, 50].map((attempt) => backoffDelay(attempt))).toEqual([200, 400, 5_000, 5_000]);
  });

  it('takes up to `jitter` of the delay off, driven by the injected random', () => {
    const options = { initialMs: 1_000, jitter: 0.5 };
    expect(backoffDelay(1, { ...options, random: () => 0 })).toBe(1_000);
    expect(backoffDelay(1, { ...options, random: () => 0.5 })).toBe(750);
    expect(backoffDelay(1, { ...options, random: () => 0.999999 })).toBe(500);
    expect(backoffDelay(1, { initialMs: 1_000, jitter: 1, random: () => 0.25 })).toBe(750);
  });

  it('stays within [base * (1 - jitter), base] for any random draw', () => {
    for (let i = 0; i < 200; i += 1) {
      const delay = backoffDelay(3, { initialMs: 100, jitter: 0.2 });
      expect(delay).toBeGreaterThanOrEqual(320);
      expect(delay).toBeLessThanOrEqual(400);
    }
  });

  it.each([
    ['attempt', () => backoffDelay(0)],
    ['attempt', () => backoffDelay(1.5)],
    ['backoff.initialMs', () => backoffDelay(1, { initialMs: -1 })],
    ['backoff.factor', () => backoffDelay(1, { factor: 0.5 })],
    ['backoff.maxMs', () => backoffDelay(1, { maxMs: Number.NaN })],
    ['backoff.jitter', () => backoffDelay(1, { jitter: 1.5 })],
  ])('rejects a bad %s with an InvalidOptionError', (option, call) => {
    expect(call).toThrow(InvalidOptionError);
    expect(call).toThrow(expect.objectContaining({ option, code: 'ERR_INVALID_OPTION' }));
  });
});
