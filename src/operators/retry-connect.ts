import {
  asyncScheduler,
  catchError,
  defer,
  retry,
  tap,
  throwError,
  timer,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { assertInteger } from '../internal/assert-option.js';
import { hasCode, withContext } from '../internal/error-context.js';
import { backoffDelay, type BackoffOptions } from './backoff-delay.js';

/** Options of `retryConnect`: how many times, and how long to wait between attempts. */
export interface RetryConnectOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** Options of `backoffDelay`, or your own `attempt => ms`. */
  backoff?: BackoffOptions | ((attempt: number) => number);
  /**
   * Also retry `CapacityError` (the server is at its session limit). Default false. Over `/ws` the
   * refusal comes after the 101, so the session is already emitted and the refusal fails its first
   * request: to retry it, apply `retryConnect` after the `switchMap` that runs the work (it still
   * retries only what failed before anything was emitted).
   */
  retryOnCapacity?: boolean;
  /** Default `asyncScheduler` (virtual time inside `TestScheduler.run`). */
  scheduler?: SchedulerLike;
}

/**
 * Retries a session Observable (`connect`, `fromDockerImage`, ...) when connecting failed:
 * `ConnectionError` (`ERR_CONNECTION`), `TimeoutError` of phase `connect`, and `CapacityError`
 * (`ERR_CAPACITY`) when `retryOnCapacity` is set. Only before the session was emitted: once a
 * session is out, requests (steps) may have reached the server and replaying them is never safe,
 * so every later error passes through untouched. Other errors are never retried: usage errors
 * such as `InvalidUrlError` or `InvalidOptionError` fail on the first attempt. The last error
 * gets `context.attempts`.
 *
 * @example
 * GridWorld.connect('http://127.0.0.1:8000').pipe(
 *   retryConnect({ maxRetries: 5, backoff: { initialMs: 250, maxMs: 4_000, jitter: 0.2 } }),
 *   switchMap((env) => env.episode(policy)),
 * );
 */
export function retryConnect<S>(options: RetryConnectOptions = {}): MonoTypeOperatorFunction<S> {
  const { maxRetries = 3, backoff = {}, retryOnCapacity = false, scheduler = asyncScheduler } = options;
  const delayOf = typeof backoff === 'function' ? backoff : (attempt: number) => backoffDelay(attempt, backoff);
  return (source) =>
    defer(() => {
      assertInteger('maxRetries', maxRetries, 0);
      if (typeof backoff !== 'function') backoffDelay(1, backoff); // bad backoff options fail now, not at the first retry
      let attempts = 0;
      let emitted = false;
      return defer(() => {
        attempts += 1;
        emitted = false;
        return source.pipe(tap(() => (emitted = true)));
      }).pipe(
        retry({
          count: maxRetries,
          delay: (error: unknown, retryCount: number) =>
            !emitted && isConnectFailure(error, retryOnCapacity)
              ? timer(delayOf(retryCount), scheduler)
              : throwError(() => error),
        }),
        catchError((error: unknown) => throwError(() => withContext(error, { attempts }))),
      );
    });
}

function isConnectFailure(error: unknown, retryOnCapacity: boolean): boolean {
  if (hasCode(error, 'ERR_CONNECTION')) return true;
  if (hasCode(error, 'ERR_TIMEOUT')) return (error as { phase?: unknown }).phase === 'connect';
  return retryOnCapacity && hasCode(error, 'ERR_CAPACITY');
}
