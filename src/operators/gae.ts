import { InvalidOptionError } from '../errors/usage-errors.js';
import type { EpisodeStep } from '../session/types.js';
import { assertDiscount } from './discounted-returns.js';

/** Options of `gae`. */
export interface GaeOptions {
  /** Discount, in [0, 1]. */
  gamma: number;
  /** GAE's lambda, in [0, 1]: 0 is the one-step TD error, 1 the Monte Carlo advantage. */
  lambda: number;
}

/** What `gae` returns: arrays aligned with its `steps` input. */
export interface GaeResult {
  /**
   * `advantages[i]` belongs to the transition that produced `steps[i]`: the observation of
   * `steps[i - 1]` and the action `steps[i].action`. NaN where `steps[i]` is no transition (a
   * reset result, or a failed step carrying `error`).
   */
  advantages: number[];
  /** Value targets: `advantages[i] + values[i - 1]` (NaN where the advantage is). */
  returns: number[];
}

/**
 * Generalized advantage estimation (Schulman et al. 2016) over `EpisodeStep`s as `episode()`,
 * `episodesFlat()` or `rollouts` (per session) emit them: one or more whole episodes in order, each
 * starting with its reset result. `values[i]` is your critic's value of `steps[i].observation`
 * (one per step, the reset's included).
 *
 * For the transition into step i: `delta = r + gamma * V(next) - V(prev)`, where `V(next)` is
 * `values[i]` unless the step is `done` (terminated: the value of a terminal state is 0). A
 * `truncated` step (`maxSteps`, `timeLimit`), a step before a failed one, and the last step of the
 * input when its episode has not ended are bootstrapped from their own value, as the usual
 * formulation does: the episode did not end there, it was cut. Then
 * `A[i] = delta[i] + gamma * lambda * A[i + 1]` inside an episode. A `null` reward counts as 0.
 *
 * Pure; throws `InvalidOptionError` when `values` does not have one number per step, gamma or
 * lambda is outside [0, 1], or a step does not follow the one before it in its episode (the
 * interleaved steps of parallel sessions: group `rollouts`' steps by `sessionIndex` first).
 *
 * @example
 * const critic = (observation: { x: number; y: number } | undefined) => (observation ? -(8 - observation.x - observation.y) : 0); // your value function
 * const steps = await firstValueFrom(GridWorld.connect(url).pipe(withSession((env) => env.episode(policy, { maxSteps: 100 }).pipe(toArray()))));
 * const { advantages, returns } = gae(steps, steps.map((s) => critic(s.observation)), { gamma: 0.99, lambda: 0.95 });
 * // advantages[i] scores steps[i].action taken from steps[i - 1].observation
 */
export function gae<A, O>(steps: readonly EpisodeStep<A, O>[], values: readonly number[], options: GaeOptions): GaeResult {
  const { gamma, lambda } = options;
  assertDiscount('gamma', gamma);
  assertDiscount('lambda', lambda);
  if (!Array.isArray(values) || values.length !== steps.length || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new InvalidOptionError('values', Array.isArray(values) ? `${values.length} values` : values, `${steps.length} finite numbers, one per step`);
  }
  assertContiguous(steps);
  const advantages = new Array<number>(steps.length).fill(NaN);
  const returns = new Array<number>(steps.length).fill(NaN);
  let next = 0; // A[i + 1] when step i + 1 continues step i's episode, else 0
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    const isTransition = step.kind === 'step' && !step.error && i > 0;
    if (!isTransition) {
      next = 0;
      continue;
    }
    const following = steps[i + 1];
    const continues = following !== undefined && following.kind === 'step' && !following.error && !step.done && !step.truncated;
    const bootstrap = step.done ? 0 : values[i]!;
    const delta = (step.reward ?? 0) + gamma * bootstrap - values[i - 1]!;
    const advantage = delta + (continues ? gamma * lambda * next : 0);
    advantages[i] = advantage;
    returns[i] = advantage + values[i - 1]!;
    next = advantage;
  }
  return { advantages, returns };
}

/** Each step must follow the previous element: same episode (and session), next index. */
function assertContiguous<A, O>(steps: readonly EpisodeStep<A, O>[]): void {
  for (let i = 1; i < steps.length; i++) {
    const step = steps[i]!;
    if (step.kind !== 'step') continue;
    const prev = steps[i - 1]!;
    const session = (s: EpisodeStep<A, O>) => (s as { sessionIndex?: unknown }).sessionIndex;
    if (prev.episodeId !== step.episodeId || prev.index !== step.index - 1 || session(prev) !== session(step)) {
      throw new InvalidOptionError(
        'steps',
        `steps[${i}] (episode ${step.episodeId}, index ${step.index}) after episode ${prev.episodeId}, index ${prev.index}`,
        'whole episodes one after another, each step right after the one before it',
      );
    }
  }
}
