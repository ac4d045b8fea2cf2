import type { Subject, Subscriber } from 'rxjs';
import type { EpisodeFailedError } from '../errors/fleet-errors.js';
import type { ResetSink, RowExtra, StepSink, SubEnv } from './sub-env.js';
import type { EnvInfo, EnvResult, VectorInfos, VectorReset, VectorStep } from './vector-types.js';

/** Sets `infos[key][i]` and its `_key` mask, creating both arrays the first time. */
function setInfo<O, K extends 'final_obs' | 'final_info' | 'error'>(
  infos: VectorInfos<O>,
  key: K,
  size: number,
  index: number,
  value: NonNullable<VectorInfos<O>[K]>[number],
): void {
  const mask = `_${key}` as const;
  const values = (infos[key] ??= new Array(size).fill(undefined)) as Array<typeof value>;
  const present = (infos[mask] ??= new Array<boolean>(size).fill(false));
  values[index] = value;
  present[index] = true;
}

function addExtra<O>(infos: VectorInfos<O>, size: number, index: number, extra: RowExtra<O>): void {
  if (extra.final_info) {
    setInfo(infos, 'final_obs', size, index, extra.final_obs);
    setInfo(infos, 'final_info', size, index, extra.final_info);
  }
  if (extra.error) setInfo(infos, 'error', size, index, extra.error);
}

/** Collects one `step(actions)`: one row per sub-env, emitted once every sub-env answered. */
export class StepBatch<O> implements StepSink<O> {
  readonly observations: O[];
  readonly rewards: number[];
  readonly terminations: boolean[];
  readonly truncations: boolean[];
  readonly infos: VectorInfos<O> = {};
  private remaining: number;
  done = false;

  constructor(
    private readonly size: number,
    private readonly subscriber: Subscriber<VectorStep<O>>,
  ) {
    this.remaining = size;
    this.observations = new Array<O>(size);
    this.rewards = new Array<number>(size);
    this.terminations = new Array<boolean>(size);
    this.truncations = new Array<boolean>(size);
  }

  row(env: SubEnv<unknown, O>, observation: O, reward: number, terminated: boolean, truncated: boolean, extra: RowExtra<O> | undefined): void {
    const i = env.index;
    this.observations[i] = observation;
    this.rewards[i] = reward;
    this.terminations[i] = terminated;
    this.truncations[i] = truncated;
    if (extra) addExtra(this.infos, this.size, i, extra);
    if (--this.remaining === 0) {
      this.done = true;
      const { observations, rewards, terminations, truncations, infos } = this;
      this.subscriber.next({ observations, rewards, terminations, truncations, infos });
      this.subscriber.complete();
    }
  }

  abandon(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.subscriber.error(error);
  }
}

/** Collects one `reset()`: masked sub-envs answer; the others keep their current observation. */
export class ResetBatch<O> implements ResetSink<O> {
  readonly infos: VectorInfos<O> = {};
  done = false;

  constructor(
    private readonly size: number,
    private remaining: number,
    readonly observations: O[],
    private readonly subscriber: Subscriber<VectorReset<O>>,
  ) {}

  resetRow(env: SubEnv<unknown, O>, observation: O | undefined, failure: EpisodeFailedError | undefined): void {
    if (failure) setInfo(this.infos, 'error', this.size, env.index, failure);
    else this.observations[env.index] = observation as O;
    if (--this.remaining === 0) {
      this.done = true;
      this.subscriber.next({ observations: this.observations, infos: this.infos });
      this.subscriber.complete();
    }
  }

  abandon(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.subscriber.error(error);
  }
}

/** The as-completed mode: every answer goes out on `results$` as it arrives. */
export class ResultStream<O> implements StepSink<O> {
  constructor(private readonly results: Subject<EnvResult<O>>) {}

  row(env: SubEnv<unknown, O>, observation: O, reward: number, terminated: boolean, truncated: boolean, extra: RowExtra<O> | undefined): void {
    const base: EnvInfo = { episodeId: env.episodeId, step: env.stepIndex };
    const info = extra ? { ...base, ...extra } : base;
    this.results.next({ index: env.index, observation, reward, terminated, truncated, info });
  }

  abandon(): void {
    // results$ completes when the vector closes.
  }
}
