import { isObservable, type Observable } from 'rxjs';
import { InvalidOptionError } from '../errors/usage-errors.js';
import { assertFunction, assertInteger } from '../internal/assert-option.js';
import type { EpisodeOptions } from '../session/types.js';
import type { EnvPoolOptions } from './pool-options.js';

/** Options of `collect`. */
export interface CollectOptions {
  /** The output directory (created): `results.jsonl` (or shards), `failures.jsonl`, `metadata.json`. */
  out: string;
  /** Episodes planned in the directory: indices 0 .. episodes-1 (a resumed run may plan more). */
  episodes: number;
  /** Parallel sessions (the pool's size). */
  sessions: number;
  /** Episode i is reset with `seed + i` and gets the id `s<seed>-e<i>`. Default 0. */
  seed?: number;
  /** Cut an episode after this many steps (`truncated`). Default: run until the env says done. */
  maxSteps?: number;
  /**
   * Continue the collection in `out`: skip the episode ids its results already hold. Default false
   * (a directory holding records or failures is refused). The dataset must be the same as
   * `metadata.json` records (see `dataset`), else `CollectMismatchError`.
   */
  resume?: boolean;
  /**
   * Episode ids `<prefix>-<index, 6 digits>`, OpenEnv's `openenv collect` scheme (its default
   * prefix is `ep`): resuming a directory it wrote then skips its episodes. Default: none, ids
   * `s<seed>-e<index, 6 digits>` (the seed in the id: runs of other seeds never collide).
   */
  episodeIdPrefix?: string;
  /**
   * A record's `reward`: `'sum'` (default) the episode's return, the sum of its step rewards;
   * `'final'` the last step's reward, as OpenEnv's collect records it (success-style envs).
   */
  reward?: 'sum' | 'final';
  /**
   * `resume`, even where the dataset differs from the one `out` holds (another env, policy, step
   * limit, ...): the differences are recorded in the run's entry of `metadata.json` (`forced`).
   * The seed and the shard size are never forced (episode ids and files would not line up).
   * Default false.
   */
  forceResume?: boolean;
  /**
   * What defines the dataset besides the seed, `maxSteps`, `shardSize` and `resetOptions` (which
   * `collect` records itself), e.g. `{ env: 'echo', url: null, policy: 'v2' }`: JSON values, written
   * into `metadata.json`'s `dataset` and compared field by field on `resume`.
   */
  dataset?: Record<string, unknown>;
  /** Records of episodes k·n … k·n+n−1 go to `results-<k, 5 digits>.jsonl`. Default: one `results.jsonl`. */
  shardSize?: number;
  resetOptions?: EpisodeOptions['resetOptions'];
  /** Passed to `envPool` (its size is `sessions`): e.g. `{ reprobeMs: 5_000 }` to take freed slots of a shared URL back sooner. */
  pool?: Pick<EnvPoolOptions<unknown>, 'sessionsPerServer' | 'startRetries' | 'backoff' | 'reprobeMs'>;
  /**
   * Stops the run when it emits: episodes in flight are abandoned (neither recorded nor failed:
   * `resume` runs them), every session closes, `metadata.json` says `interrupted`, and the
   * summary is emitted before completion. Unsubscribing does the same without the summary.
   */
  stop$?: Observable<unknown>;
  /** Written into `metadata.json`'s `config` beside what `collect` knows (e.g. `{ target, policy }`). */
  config?: Record<string, unknown>;
  /**
   * Errors that stop the whole run instead of being recorded as one episode's failure. Default
   * `isCollectFatal`: the policy's errors, actions the env's schema refuses, a pool that cannot
   * start sessions, an output that cannot be written.
   */
  isFatal?: (error: unknown) => boolean;
}

/** Checks `CollectOptions`; an `InvalidOptionError` names the field. */
export function assertCollectOptions(options: CollectOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', options, 'an object with out, episodes, sessions');
  if (typeof options.out !== 'string' || options.out === '') throw new InvalidOptionError('out', options.out, 'a directory path');
  assertInteger('episodes', options.episodes, 0, false);
  assertInteger('sessions', options.sessions, 1, false);
  assertInteger('seed', options.seed, 0);
  assertInteger('maxSteps', options.maxSteps, 1);
  assertInteger('shardSize', options.shardSize, 1);
  if (options.episodeIdPrefix !== undefined && (typeof options.episodeIdPrefix !== 'string' || !/^[\w.-]{1,200}$/.test(options.episodeIdPrefix))) {
    throw new InvalidOptionError('episodeIdPrefix', options.episodeIdPrefix, 'letters, digits, _ . or - (1 to 200)');
  }
  if (options.reward !== undefined && options.reward !== 'sum' && options.reward !== 'final') throw new InvalidOptionError('reward', options.reward, "'sum' or 'final'");
  if (options.resume !== undefined && typeof options.resume !== 'boolean') throw new InvalidOptionError('resume', options.resume, 'a boolean');
  if (options.forceResume !== undefined && typeof options.forceResume !== 'boolean') throw new InvalidOptionError('forceResume', options.forceResume, 'a boolean');
  if (options.dataset !== undefined && (options.dataset === null || typeof options.dataset !== 'object' || Array.isArray(options.dataset))) {
    throw new InvalidOptionError('dataset', options.dataset, 'an object of JSON values');
  }
  if (options.stop$ !== undefined && !isObservable(options.stop$)) throw new InvalidOptionError('stop$', options.stop$, 'an Observable');
  if (options.isFatal !== undefined) assertFunction('isFatal', options.isFatal);
}
