import type { Observable } from 'rxjs';
import type { EpisodeFailedError } from '../errors/fleet-errors.js';
import type { HealthResponse, MetadataResponse, SchemaResponse } from '../protocol/http-messages.js';
import type { TransportKind, TransportOptions } from '../transport/transport.js';
import type { SessionTools } from '../tools/tool-api.js';
import type { AnyToolSchemas, ToolSchemas } from '../tools/tool-types.js';

/**
 * One answer from the env. `reward` is normalised to `number | null` (booleans become 1/0).
 * OpenEnv has no truncation flag: `truncated` is set on the client side by `maxSteps`.
 */
export interface StepResult<O> {
  observation: O;
  reward: number | null;
  done: boolean;
  truncated: boolean;
}

/** Options of `reset`. Extra keys reach the env only if its reset accepts them. */
export interface ResetOptions {
  seed?: number;
  episodeId?: string;
  /** Extra wire fields merged into the reset body (`{seed, episode_id, ...extra}`). */
  extra?: Record<string, unknown>;
}

/**
 * What an agent decides from. Return the action, a Promise of it, or an Observable whose first
 * value is taken. `last` is the previous result in the episode (the reset result on the first call).
 */
export type Policy<A, O> = (observation: O, last: EpisodeStep<A, O>) => A | Promise<A> | Observable<A>;

/** A step of an episode: the StepResult plus where it sits and what caused it. */
export interface EpisodeStep<A, O> extends StepResult<O> {
  /** `reset` for the first emission of every episode, `step` afterwards. */
  kind: 'reset' | 'step';
  /** 0 for the reset result, then 1, 2, ... */
  index: number;
  /** The action that produced this result (absent on the reset result). */
  action?: A;
  episodeId: string;
  /** Index of the episode within `episodes()` (0 for a lone `episode()`). */
  episodeIndex: number;
  seed?: number;
  /** Wall-clock ms the request took (policy time excluded). */
  latencyMs: number;
  /** `Date.now()` when the result arrived. */
  timestamp: number;
  /**
   * Set on the step that ends an episode which FAILED instead of ending (`rollouts` replacing
   * failed sessions): a `kind: 'step'` with `truncated: true`, `reward: null`, the episode's last
   * observation, the `action` in flight if a step was sent, and `index` the step that failed.
   * `error.stepUnknown` says whether that step may have reached the env (it is never sent again).
   */
  error?: EpisodeFailedError;
}

/**
 * Options of `env.episode(policy, options)`: one episode on a session.
 *
 * @example
 * GridWorld.connect('http://127.0.0.1:8000')
 *   .pipe(withSession((env) => env.episode(policy, { seed: 7, episodeId: 'run-1/ep-0', maxSteps: 50 })))
 *   .subscribe((step) => console.log(step.index, step.reward, step.done, step.truncated));
 */
export interface EpisodeOptions {
  /** Sent as the reset's `seed`: a seeded env replays the same episode. */
  seed?: number;
  /** Sent as `episode_id`; generated (uuid) when absent so every trajectory is traceable. */
  episodeId?: string;
  /** Stop after this many steps with `truncated: true` on the last result. */
  maxSteps?: number;
  /** Extra fields of the reset request (see `ResetOptions.extra`). */
  resetOptions?: Omit<ResetOptions, 'seed' | 'episodeId'>;
}

/** Options of `steps(action$)`. */
export interface StepsOptions {
  /**
   * Complete after this many results, the last one marked `truncated: true` (unless it is
   * `done`), and unsubscribe `action$`, as `episode()` does. Counted from the subscription;
   * `0` completes at once without subscribing `action$`.
   */
  maxSteps?: number;
}

/**
 * Options of `env.episodes(policy, options)` and `env.episodesFlat`: episodes one after another on a session.
 *
 * @example
 * // 10 episodes seeded 100, 101, ..., 109, each cut at 200 steps.
 * GridWorld.connect('http://127.0.0.1:8000')
 *   .pipe(withSession((env) => env.episodesFlat(policy, { count: 10, seed: 100, maxSteps: 200 })), episodeStats())
 *   .subscribe((s) => console.log(s.episodeIndex, s.return));
 */
export interface EpisodesOptions extends Omit<EpisodeOptions, 'episodeId'> {
  /** How many episodes; default: unbounded (take what you need). */
  count?: number;
  /** Episode i is reset with `seed + i` (documented convention); unseeded when absent. */
  seed?: number;
}

/**
 * A live connection to one env. All methods are cold: nothing is sent until subscribed. The tool
 * methods (`listTools`, `callTool`, `mcp`, `mcpSession`) are typed by the declared tools `T`.
 */
export interface EnvSession<A = Record<string, unknown>, O = Record<string, unknown>, S = Record<string, unknown>, T extends ToolSchemas = AnyToolSchemas>
  extends SessionTools<T> {
  readonly name: string;
  readonly url: string;
  readonly transport: TransportKind;
  /** Starts an episode (`seed`, `episodeId` sent as `seed`/`episode_id`); emits the first observation as a `StepResult`. */
  reset(options?: ResetOptions): Observable<StepResult<O>>;
  /** Validates `action` against the env's action schema before sending (error names the field). */
  step(action: A): Observable<StepResult<O>>;
  /** The env's state (`episode_id`, `step_count`, and whatever else the env reports), parsed by the state schema. */
  state(): Observable<S>;
  /**
   * Feeds actions through `concatMap`: one step on the wire at a time, results in order. Completes
   * right after the first result with `done: true` (that result included) and unsubscribes
   * `action$`, like an episode; also after `maxSteps` results (the last marked `truncated`), or
   * once `action$` completed and its last step answered.
   */
  steps(action$: Observable<A>, options?: StepsOptions): Observable<StepResult<O>>;
  /** `GET /health`: `{ status: 'healthy' }` from a live server. */
  health(): Observable<HealthResponse>;
  /** `GET /schema`: the JSON Schemas of action, observation and state (404 on generation-A servers: an error). */
  schema(): Observable<SchemaResponse>;
  /** `GET /metadata`: the env's name, description, version, readme. */
  metadata(): Observable<MetadataResponse>;
  /** Reset, then policy → step until `done` (or `maxSteps`, then `truncated`). Emits the reset result first. */
  episode(policy: Policy<A, O>, options?: EpisodeOptions): Observable<EpisodeStep<A, O>>;
  /**
   * A stream of episode STREAMS (`Observable<Observable<EpisodeStep>>`), one after another on this
   * session: subscribe to each (e.g. `concatAll()`), or use `episodesFlat`. Collecting the outer
   * stream alone (`toArray()`) never subscribes an episode and waits forever.
   */
  episodes(policy: Policy<A, O>, options?: EpisodesOptions): Observable<Observable<EpisodeStep<A, O>>>;
  /** `episodes(policy, options).pipe(concatAll())`: every step of every episode, in order. */
  episodesFlat(policy: Policy<A, O>, options?: EpisodesOptions): Observable<EpisodeStep<A, O>>;
  /**
   * Completes, without a value, when episodes make sense on this session; errors with
   * `StatelessHttpError` when the server keeps no state between requests (transport `http` on
   * an OpenEnv server of generation B or later: `GET /schema` answers 200). `episode()`,
   * `episodes()` and `rollouts` call it before the first reset; the answer is kept per session.
   */
  checkEpisodes(): Observable<never>;
}

export interface ConnectOptions extends TransportOptions {
  /** Validate server replies against the observation/state schemas. Default true. */
  validateResponses?: boolean;
  /**
   * Run `episode()`/`episodes()` over `transport: 'http'` even on a server that keeps no state
   * between HTTP requests (each reset and step then hits a fresh env). Default false: such
   * episodes are refused with `StatelessHttpError`.
   */
  allowStatelessEpisodes?: boolean;
}
