import type { EpisodeStep } from './types.js';

/** The episode a step belongs to (an `EpisodePlan` is one). */
export interface StepPlace {
  episodeId: string;
  episodeIndex: number;
  seed?: number | undefined;
  /** Written on every step when set (`rollouts`). */
  sessionIndex?: number | undefined;
}

/**
 * Builds an `EpisodeStep`: the one place its fields are laid out, always in the same order (one
 * object shape for V8, one key order in JSON). `kind` is `reset` for index 0. `action` is set
 * only when `sent` (a step whose action went out), `seed` and `sessionIndex` only when the plan
 * has them. Positional parameters, not an options object: it runs once per step and should
 * allocate only the step itself.
 */
export function episodeStep<A, O>(
  place: StepPlace,
  index: number,
  observation: O,
  reward: number | null,
  done: boolean,
  truncated: boolean,
  sent: boolean,
  action: A | undefined,
  latencyMs: number,
  timestamp: number,
): EpisodeStep<A, O> {
  const step = {
    observation,
    reward,
    done,
    truncated,
    kind: index > 0 ? 'step' : 'reset',
    index,
  } as EpisodeStep<A, O>;
  if (sent) step.action = action as A;
  step.episodeId = place.episodeId;
  step.episodeIndex = place.episodeIndex;
  if (place.seed !== undefined) step.seed = place.seed;
  step.latencyMs = latencyMs;
  step.timestamp = timestamp;
  if (place.sessionIndex !== undefined) (step as EpisodeStep<A, O> & { sessionIndex: number }).sessionIndex = place.sessionIndex;
  return step;
}
