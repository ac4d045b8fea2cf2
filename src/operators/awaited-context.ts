import type { ErrorContext } from '../errors/openenv-error.js';
import type { EpisodeStep } from '../session/types.js';

/**
 * What a stream of episode steps was waiting for, given the last step seen: the next step of
 * that episode, or (after its end, or before anything arrived) the next episode's reset.
 */
export function awaitedContext(last: EpisodeStep<unknown, unknown> | null, env: string | undefined): ErrorContext {
  const base: ErrorContext = env === undefined ? {} : { env };
  if (last === null) return { ...base, stepIndex: 0 };
  if (last.done || last.truncated) return { ...base, episodeIndex: last.episodeIndex + 1, stepIndex: 0 };
  return { ...base, episodeId: last.episodeId, episodeIndex: last.episodeIndex, stepIndex: last.index + 1 };
}
