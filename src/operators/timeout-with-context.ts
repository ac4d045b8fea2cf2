import { connect, defer, filter, ignoreElements, merge, tap, throwError, timeout, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import { TimeoutError } from '../errors/connection-errors.js';
import type { EpisodeStep } from '../session/types.js';
import { assertNumber } from '../internal/assert-option.js';
import { awaitedContext } from './awaited-context.js';
import type { TimeoutOptions } from './timeout-options.js';

/** How `timeoutWithContext` watches a stream of episode steps (a config, as rxjs `timeout` takes). */
export interface TimeoutWithContextConfig<T> extends TimeoutOptions {
  /** Written into the `TimeoutError`. */
  phase: 'step' | 'episode';
  /** Most time allowed between two watched steps (and from the subscription to the first). */
  each: number;
  /** Which steps restart the clock; default every step (watched on the source itself, no extra subscriber). */
  marks?: (step: T) => boolean;
}

/**
 * The one timeout of `stepTimeout` and `episodeTimeout`: rxjs `timeout({ each })` over the
 * watched steps, erroring with a `TimeoutError` whose context names what was awaited (from the
 * last step seen, see `awaitedContext`). Unsubscribes the source on expiry.
 */
export function timeoutWithContext<T extends EpisodeStep<unknown, unknown>>(config: TimeoutWithContextConfig<T>): MonoTypeOperatorFunction<T> {
  const { phase, each, marks, env, scheduler } = config;
  return (source) =>
    defer(() => {
      assertNumber('ms', each, 0);
      // Tracked here: rxjs clears TimeoutInfo.lastValue before calling `with` (7.8).
      let last: T | null = null;
      const expire = timeout<T, Observable<never>>({
        each,
        ...(scheduler && { scheduler }),
        with: () => throwError(() => new TimeoutError(phase, each, awaitedContext(last, env))),
      });
      const seen = source.pipe(tap((step) => (last = step)));
      if (!marks) return seen.pipe(expire);
      return seen.pipe(connect((steps) => merge(steps, steps.pipe(filter(marks), expire, ignoreElements()))));
    });
}
