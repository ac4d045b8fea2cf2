import { defer, tap, throwError, timeout, type MonoTypeOperatorFunction } from 'rxjs';
import { TimeoutError } from '../errors/connection-errors.js';
import type { EpisodeStep } from '../session/types.js';
import { assertNumber } from '../internal/assert-option.js';
import { awaitedContext } from './awaited-context.js';
import type { TimeoutOptions } from './timeout-options.js';

/**
 * Errors with `TimeoutError` (phase `step`) when no `EpisodeStep` arrives within `ms` of the
 * previous one (or of the subscription, for the reset). The gap covers the policy's decision and
 * the request, so a policy that never answers is caught too. Unsubscribes the source, which
 * cancels the pending policy call and request. Context: `env`, `episodeId`, `episodeIndex`, and
 * the awaited `stepIndex` (0 = a reset).
 *
 * Apply it to one session's steps (`episode()`, `episodes().pipe(concatAll())`); on the merged
 * output of `rollouts` it only catches all sessions stalling at once.
 *
 * @example
 * env.episode(policy, { maxSteps: 100 }).pipe(stepTimeout(30_000, { env: 'grid_world' }))
 *   .subscribe({ error: (e) => console.log(e.phase, e.context.stepIndex) }); // 'step', 12
 */
export function stepTimeout<T extends EpisodeStep<unknown, unknown>>(
  ms: number,
  options: TimeoutOptions = {},
): MonoTypeOperatorFunction<T> {
  return (source) =>
    defer(() => {
      assertNumber('ms', ms, 0);
      // Tracked here: rxjs clears TimeoutInfo.lastValue before calling `with` (7.8).
      let last: T | null = null;
      return source.pipe(
        tap((step) => (last = step)),
        timeout({
          each: ms,
          ...(options.scheduler && { scheduler: options.scheduler }),
          with: () => throwError(() => new TimeoutError('step', ms, awaitedContext(last, options.env))),
        }),
      );
    });
}
