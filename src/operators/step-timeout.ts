import type { MonoTypeOperatorFunction } from 'rxjs';
import type { EpisodeStep } from '../session/types.js';
import type { TimeoutOptions } from './timeout-options.js';
import { timeoutWithContext } from './timeout-with-context.js';

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
 * @example <caption>doctest: with env (an open session)</caption>
 * env.episode(policy, { maxSteps: 100 }).pipe(stepTimeout(30_000, { env: 'grid_world' }))
 *   .subscribe({ error: (e) => console.log(e.phase, e.context.stepIndex) }); // 'step', 12
 */
export function stepTimeout<T extends EpisodeStep<unknown, unknown>>(
  ms: number,
  options: TimeoutOptions = {},
): MonoTypeOperatorFunction<T> {
  return timeoutWithContext<T>({ ...options, phase: 'step', each: ms });
}
