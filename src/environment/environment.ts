import { z } from 'zod';
import type { ToolSet } from './tools.js';

/**
 * What `reset` and `step` return. `observation` is sent as is: the server drops `reward`, `done`
 * and `metadata` keys from it (the OpenEnv wire never carries them inside the observation).
 */
export interface StepOutcome<O> {
  observation: O;
  reward: number | null;
  done: boolean;
}

/**
 * Options of `reset`. `seed` and `episodeId` come from the wire's `seed` / `episode_id`; any other
 * key of the reset body is passed through under its wire name (envs ignore what they do not know).
 */
export interface EnvResetOptions {
  seed?: number;
  episodeId?: string;
  [extra: string]: unknown;
}

/** Extras of an HTTP `/step` (`timeout_s`, `request_id`); `/ws` envelopes cannot carry them. */
export interface EnvStepContext {
  timeoutS?: number;
  requestId?: string;
}

/** The part of a state every OpenEnv env has. */
export interface EnvState {
  episode_id: string | null;
  step_count: number;
  [field: string]: unknown;
}

/** Anything that is either a value or a promise of it: sync envs skip the promise machinery. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * One environment instance. The server builds one per `/ws` socket and a fresh one for every
 * stateless HTTP `/reset`, `/step` and `/state` (as OpenEnv does), then calls `close` on it.
 * A method that throws (or rejects) becomes an `EXECUTION_ERROR` frame over `/ws` and a 500 over HTTP.
 *
 * @example
 * class Counter implements Environment<{ inc: number }, { total: number }> {
 *   private total = 0; private steps = 0; private id: string | null = null;
 *   reset(o: EnvResetOptions) { this.total = 0; this.steps = 0; this.id = o.episodeId ?? null;
 *     return { observation: { total: 0 }, reward: 0, done: false }; }
 *   step(a: { inc: number }) { this.steps++; this.total += a.inc;
 *     return { observation: { total: this.total }, reward: a.inc, done: this.total >= 10 }; }
 *   state() { return { episode_id: this.id, step_count: this.steps }; }
 * }
 */
export interface Environment<A = Record<string, unknown>, O = Record<string, unknown>, S extends EnvState = EnvState> {
  /** Starts an episode: `seed` makes it reproducible; `episodeId` is the client's id (or absent). */
  reset(options: EnvResetOptions): MaybePromise<StepOutcome<O>>;
  /** `action` has already passed the definition's action schema (defaults applied). */
  step(action: A, context?: EnvStepContext): MaybePromise<StepOutcome<O>>;
  /** Must include `episode_id` and `step_count`; other fields are sent over `/ws` only. */
  state(): MaybePromise<S>;
  /** Called once when the session (or the stateless request) is over: release what the instance holds. */
  close?(): MaybePromise<void>;
}

/** Zod schemas of the OpenEnv base `Action.metadata` field: add it to an action schema to accept it. */
export const ActionMetadata = z
  .record(z.string(), z.unknown())
  .optional()
  .meta({ title: 'Metadata', description: 'Additional metadata for the action' });

/**
 * OpenEnv's base `Observation` fields as `/schema` describes them. They never travel inside the
 * observation (they are the envelope's `reward`/`done`); they appear in `/schema` because pydantic
 * models inherit them. A definition may override them via `observationBaseFields`.
 */
export const OBSERVATION_BASE_FIELDS = {
  done: z.boolean().default(false).describe('Whether the episode has terminated'),
  reward: z
    .union([z.boolean(), z.int(), z.number(), z.null()])
    .default(null)
    .describe('Reward signal from the last action'),
  metadata: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Additional metadata for the observation'),
};

/** OpenEnv's base `State`: `episode_id` and `step_count`, extra fields allowed. Extend it for richer states. */
export const BaseState = z
  .looseObject({
    episode_id: z.string().nullable().default(null).describe('Unique identifier for the current episode'),
    step_count: z.int().min(0).default(0).describe('Number of steps taken in the current episode'),
  })
  .meta({
    title: 'State',
    description: 'Base class for environment state.\n\nRepresents internal environment state, separate from observations.',
  });

/**
 * Everything `serve()` needs to expose an env: names for `/metadata`, zod schemas for `/schema` and
 * for validating actions, and the factory. The state schema defaults to `BaseState`.
 */
export interface ServerEnvDefinition<A = Record<string, unknown>, O = Record<string, unknown>, S extends EnvState = EnvState> {
  /** Short id (`grid_world`): registry key, logs and error context. */
  readonly name: string;
  /** `/metadata` name; defaults to `name` (OpenEnv sends the class name, e.g. `GridWorldEnvironment`). */
  readonly title?: string;
  /** `/metadata` description; defaults to `"<title> environment"` as OpenEnv does. */
  readonly description?: string;
  readonly version?: string;
  readonly readme?: string;
  readonly author?: string;
  readonly documentationUrl?: string;
  /** Validates every action before it reaches `step` (the output, defaults applied, is what `step` gets). */
  readonly action: z.ZodType<A>;
  readonly observation: z.ZodType<O>;
  readonly state?: z.ZodType<S>;
  /** Overrides entries of `OBSERVATION_BASE_FIELDS` in `/schema` (documentation only). */
  readonly observationBaseFields?: Partial<Record<keyof typeof OBSERVATION_BASE_FIELDS, z.ZodType>>;
  /** Builds a fresh instance. A throw or rejection is a `FACTORY_ERROR` over `/ws`, a 500 over HTTP. */
  create(): MaybePromise<Environment<A, O, S>>;
  /**
   * Present on tool envs (see `defineToolEnv`): the server then accepts the `list_tools` and
   * `call_tool` step actions, answers JSON-RPC `tools/list`/`tools/call` on `POST /mcp` and over the
   * WS `mcp` message, and speaks standard MCP (Streamable HTTP) on `/mcp`.
   */
  readonly tools?: ToolSet;
}

/**
 * Identity helper that infers `A`, `O` and `S` from the schemas, so the factory is type-checked.
 *
 * @example
 * const Coin = defineServerEnv({
 *   name: 'coin',
 *   action: z.strictObject({ guess: z.enum(['heads', 'tails']) }),
 *   observation: z.strictObject({ correct: z.boolean() }),
 *   create: () => new CoinEnvironment(),
 * });
 * const server = await serve(Coin);
 * await server.close();
 */
export function defineServerEnv<A, O, S extends EnvState = EnvState>(
  definition: ServerEnvDefinition<A, O, S>,
): ServerEnvDefinition<A, O, S> {
  return definition;
}

/** An env definition with its type parameters erased, as registries and the server hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEnvDefinition = ServerEnvDefinition<any, any, any>;
