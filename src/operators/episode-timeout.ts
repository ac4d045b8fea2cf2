import type { MonoTypeOperatorFunction } from 'rxjs';
import type { EpisodeStep } from '../session/types.js';
import type { TimeoutOptions } from './timeout-options.js';
import { timeoutWithContext } from './timeout-with-context.js';

/**
 * Errors with `TimeoutError` (phase `episode`) when an episode does not end (a `done` or
 * `truncated` step) within `ms` of its start. An episode starts at the subscription, or when the
 * previous one ended, since `episodes()` sends the next reset right then. Unsubscribes the source
 * (cancelling the pending policy call and request). Context: `env`, `episodeId`, `episodeIndex`,
 * and the awaited `stepIndex`.
 *
 * Built on rxjs `timeout({ each })` applied to the stream of episode ends: each end must come
 * within `ms` of the previous one. Apply it to one session's steps, not to merged `rollouts`.
 *
 * @example <caption>doctest: with env (an open session)</caption>
 * env.episodes(policy, { count: 10 }).pipe(concatAll(), episodeTimeout(60_000, { env: 'grid_world' }));
 */
export function episodeTimeout<T extends EpisodeStep<unknown, unknown>>(
  ms: number,
  options: TimeoutOptions = {},
): MonoTypeOperatorFunction<T> {
  return timeoutWithContext<T>({ ...options, phase: 'episode', each: ms, marks: endsEpisode });
}

const endsEpisode = (step: EpisodeStep<unknown, unknown>): boolean => step.done || step.truncated;
