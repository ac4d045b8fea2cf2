import { assertInteger, assertNumber } from '../internal/assert-option.js';
import { InvalidOptionError } from '../errors/usage-errors.js';

/** Exponential backoff with jitter between retries (`backoffDelay`, `retryConnect`, `rollouts`). */
export interface BackoffOptions {
  /** Delay before the first retry. Default 200 ms. */
  initialMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Upper bound of the delay (before jitter). Default 5 000 ms. */
  maxMs?: number;
  /**
   * Fraction in [0, 1] of the delay that is randomised: the delay is uniform in
   * `[base * (1 - jitter), base]`. 0 (default) is deterministic, 1 is "full jitter".
   */
  jitter?: number;
  /** Source of randomness in [0, 1); inject a constant in tests. Default `Math.random`. */
  random?: () => number;
}

/**
 * The wait before retry number `attempt` (1 for the first retry): exponential, capped, with
 * optional jitter so parallel clients do not retry in lockstep. Pure; rounds to whole ms.
 *
 * @example
 * backoffDelay(1, { initialMs: 100 });                               // 100
 * backoffDelay(4, { initialMs: 100, factor: 2, maxMs: 500 });        // 500 (800 capped)
 * backoffDelay(2, { initialMs: 100, jitter: 0.5, random: () => 1 }); // 100 (200 minus up to 50%)
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { initialMs = 200, factor = 2, maxMs = 5_000, jitter = 0, random = Math.random } = options;
  assertInteger('attempt', attempt, 1, false);
  assertNumber('backoff.initialMs', initialMs, 0);
  assertNumber('backoff.factor', factor, 1);
  assertNumber('backoff.maxMs', maxMs, 0);
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidOptionError('backoff.jitter', jitter, 'a number in [0, 1]');
  }
  const base = Math.min(maxMs, initialMs * factor ** (attempt - 1));
  return Math.round(base * (1 - jitter * random()));
}
