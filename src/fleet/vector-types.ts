import type { Observable } from 'rxjs';
import type { EpisodeFailedError } from '../errors/fleet-errors.js';
import type { EpisodeSession } from '../session/episode.js';
import type { PoolStats } from './env-pool.js';
import type { EnvPoolOptions } from './pool-options.js';

/**
 * Gymnasium 1.x's autoreset modes (`gymnasium.vector.AutoresetMode`):
 * - `next-step` (default): the step that ends an episode returns its final observation; the NEXT
 *   step of that sub-env resets it, ignores its action and returns the reset observation with
 *   reward 0 and both flags false.
 * - `same-step`: the step that ends an episode resets at once: it returns the reset observation
 *   with that step's reward and flags, and the final observation/info in `infos.final_obs`/`final_info`.
 * - `disabled`: nothing resets by itself; reset ended sub-envs with `reset({ mask })`.
 */
export type AutoresetMode = 'next-step' | 'same-step' | 'disabled';

/** A sub-env's episode and position in it: `step` 0 is the reset observation. */
export interface EnvInfo {
  episodeId: string;
  step: number;
}

/**
 * Gymnasium's vector `infos`: a key is present only when some sub-env has it; `_key[i]` says
 * whether sub-env `i` has a value.
 */
export interface VectorInfos<O> {
  /** `same-step` mode: the observation each sub-env ended its episode with in this step. */
  final_obs?: Array<O | undefined>;
  _final_obs?: boolean[];
  /** `same-step` mode: the info of that final step. */
  final_info?: Array<EnvInfo | undefined>;
  _final_info?: boolean[];
  /** Sub-envs whose episode failed in this call (socket dropped, server died, reply timed out, error frame). */
  error?: Array<EpisodeFailedError | undefined>;
  _error?: boolean[];
}

/** What `step(actions)` emits: one entry per sub-env, in sub-env order. */
export interface VectorStep<O> {
  observations: O[];
  /** `null` rewards (OpenEnv allows them) are 0, as Gymnasium needs a float. */
  rewards: number[];
  terminations: boolean[];
  /**
   * `maxEpisodeSteps` reached, or the episode FAILED (see `infos.error`): a failure ends the
   * episode outside the MDP, which is what truncation means to a learner.
   */
  truncations: boolean[];
  infos: VectorInfos<O>;
}

/** What `reset()` emits. Sub-envs outside the mask keep their current observation. */
export interface VectorReset<O> {
  observations: O[];
  infos: VectorInfos<O>;
}

/** One sub-env's answer in the as-completed stream (`results$`). */
export interface EnvResult<O> {
  index: number;
  observation: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: EnvResultInfo<O>;
}

export interface EnvResultInfo<O> extends EnvInfo {
  /** `next-step` mode: this answer is the reset that followed an ended episode (the action was ignored). */
  autoreset?: true;
  final_obs?: O;
  final_info?: EnvInfo;
  error?: EpisodeFailedError;
}

/** Options of `VectorEnv.reset`: seeds, and which sub-envs to reset. */
export interface VectorResetOptions {
  /** One seed: sub-env `i` gets `seed + i` (Gymnasium). An array: one per sub-env. Absent: unseeded. */
  seed?: number | ReadonlyArray<number | undefined>;
  /** Reset only these sub-envs (Gymnasium's `reset_mask`; at least one true). */
  mask?: readonly boolean[];
}

/** Options of `vectorEnv(source, options)`. */
export interface VectorEnvOptions<S> {
  /** How many sub-envs (each one leased session). */
  num: number;
  /** Default `next-step`, Gymnasium's default. */
  autoreset?: AutoresetMode;
  /** Requests in flight at once across the sub-envs. Default: all. */
  maxConcurrency?: number;
  /** Truncate an episode after this many steps (Gymnasium's TimeLimit). Default: never. */
  maxEpisodeSteps?: number;
  /** A reset that fails on a lost session is retried on a fresh lease this many times. Default 3. */
  resetRetries?: number;
  /** Options of the pool made for you when the source is not a pool (its `size` is `num`). */
  pool?: Omit<EnvPoolOptions<S>, 'size'>;
}

/** Counts over the vector's life. */
export interface VectorStats {
  /** Sub-env steps answered (autoreset rows included). */
  steps: number;
  /** Episodes that ended with `infos.error`. */
  failures: number;
  /** Of those, how many left a request of unknown outcome. */
  unknownSteps: number;
  pool: PoolStats;
}

/**
 * N sub-envs stepped together (Gymnasium 1.x) or as each answers (EnvPool's async mode). Exactly
 * one request is in flight per sub-env at any time: a call that would send a second one errors.
 */
export interface VectorEnv<A, O> {
  readonly num: number;
  readonly autoreset: AutoresetMode;
  /** Resets every sub-env (or those in `mask`); emits once all answered. */
  reset(options?: VectorResetOptions): Observable<VectorReset<O>>;
  /** One action per sub-env; emits once all answered. Unsubscribing abandons the episodes still in flight. */
  step(actions: readonly A[]): Observable<VectorStep<O>>;
  /** As-completed answers of `send`: hot; subscribe before sending. */
  readonly results$: Observable<EnvResult<O>>;
  /** Sends one sub-env's action (or its autoreset); the answer arrives on `results$`. Throws if it is busy. */
  send(index: number, action: A): void;
  /** Counts so far: steps answered, failed episodes, unknown-outcome steps, and the pool's snapshot. */
  stats(): VectorStats;
}

/** What a sub-env needs of a session. */
export type VectorSession<A, O> = EpisodeSession<A, O>;
