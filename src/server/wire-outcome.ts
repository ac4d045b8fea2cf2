import type { EnvState, StepOutcome } from '../environment/environment.js';

/** The `{observation, reward, done}` body of a reset or step answer. */
export interface WireOutcome {
  observation: unknown;
  reward: number | null;
  done: boolean;
}

/**
 * Shapes an env's answer for the wire. The observation is passed through untouched unless it holds
 * `reward`, `done` or `metadata` (OpenEnv never sends those inside it); only then is it copied.
 *
 * @example
 * toWireOutcome({ observation: { x: 1, done: true }, reward: 1, done: true })
 * // { observation: { x: 1 }, reward: 1, done: true }
 */
export function toWireOutcome(outcome: StepOutcome<unknown>): WireOutcome {
  let observation = outcome.observation;
  if (observation !== null && typeof observation === 'object' && ('reward' in observation || 'done' in observation || 'metadata' in observation)) {
    const { reward: _r, done: _d, metadata: _m, ...rest } = observation as Record<string, unknown>;
    observation = rest;
  }
  const reward = typeof outcome.reward === 'number' && Number.isFinite(outcome.reward) ? outcome.reward : null;
  return { observation, reward, done: outcome.done === true };
}

/** `GET /state` over HTTP keeps only the base fields, as OpenEnv's B/H servers do. */
export function toHttpState(state: EnvState): { episode_id: string | null; step_count: number } {
  return { episode_id: state.episode_id ?? null, step_count: state.step_count };
}
