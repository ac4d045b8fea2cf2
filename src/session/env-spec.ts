import { z } from 'zod';
import type { AnyToolSchemas, ToolSchemas } from '../tools/tool-types.js';

/** What an env sends and accepts when no schema says otherwise: a plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** The schema used when a spec has no action schema: actions must at least be JSON objects. */
export const JsonObjectSchema: z.ZodType<JsonObject> = z.record(z.string(), z.unknown());

/**
 * Describes one kind of env: its name and, optionally, zod schemas of its action, observation and
 * state. An absent schema means "any JSON object" (`Record<string, unknown>`), unchecked.
 *
 * `A` is what `step()` accepts: the action schema's INPUT type (the session parses the action and
 * sends the schema's output, so `.default()`, `.transform()` and `z.coerce` apply before the
 * wire). `O` and `S` are the observation and state schemas' OUTPUT types (what parsing a reply gives).
 *
 * @example
 * const spec: EnvSpec<{ message: string }, { echoed_message: string }, JsonObject> = {
 *   name: 'echo',
 *   action: z.object({ message: z.string().min(1) }),
 *   observation: z.object({ echoed_message: z.string() }),
 * };
 */
export interface EnvSpec<A = JsonObject, O = JsonObject, S = JsonObject> {
  name: string;
  description?: string;
  /** Parsed before anything is sent (its output goes on the wire): a failing action never reaches the server. */
  action?: z.ZodType<unknown, A>;
  /** Checked on every reset/step reply (unless `validateResponses: false`). */
  observation?: z.ZodType<O>;
  /** Checked on every `state()` reply (unless `validateResponses: false`). */
  state?: z.ZodType<S>;
  /**
   * MCP tools (tool envs): argument schemas by tool name (or `{ input, result }`), which type
   * `callTool` and check arguments before sending; or `'discover'` to check against the server's
   * own `tools/list`. Absent: any tool name, arguments unchecked.
   */
  tools?: ToolSchemas | 'discover';
}

/** The loosest spec `defineEnv` accepts; the helpers below read the types back out of it. */
export interface AnyEnvSpec {
  name: string;
  description?: string;
  action?: z.ZodType;
  observation?: z.ZodType;
  state?: z.ZodType;
  tools?: ToolSchemas | 'discover';
}

// Optional on purpose: works for spec literals (schema present or absent) and for `EnvSpec<A, O, S>`.
// A schema typed only by its output (`const A: z.ZodType<Move> = ...`) has input `unknown`: its output type is the better guess then.
type ActionInput<Z extends z.ZodType> = unknown extends z.input<Z> ? z.output<Z> : z.input<Z>;
type SchemaInput<T, K extends 'action' | 'observation' | 'state'> = T extends { [P in K]?: infer Z }
  ? NonNullable<Z> extends z.ZodType
    ? ActionInput<NonNullable<Z>>
    : JsonObject
  : JsonObject;
type SchemaOutput<T, K extends 'action' | 'observation' | 'state'> = T extends { [P in K]?: infer Z }
  ? NonNullable<Z> extends z.ZodType
    ? z.output<NonNullable<Z>>
    : JsonObject
  : JsonObject;
type SpecOf<T> = T extends { spec: infer S } ? S : T;

/**
 * The action type of a spec (or of anything with a `spec`, such as an `EnvDefinition`): what
 * `step()` accepts, i.e. the schema's INPUT type (`z.input`), or `JsonObject` without a schema.
 * A field with `.default()` is optional here, a `z.coerce.number()` field takes what `Number()`
 * takes, a `.transform()` takes its input: the session parses the action before sending it.
 * A schema annotated with its output type only (`z.ZodType<Move>`, input `unknown`) gives `Move`.
 *
 * @example
 * const GridWorld = defineEnv({ name: 'grid', action: z.object({ action: z.enum(['UP', 'DOWN']), speed: z.number().default(1) }) });
 * type Move = ActionOf<typeof GridWorld>; // { action: 'UP' | 'DOWN'; speed?: number | undefined }
 */
export type ActionOf<T> = SchemaInput<SpecOf<T>, 'action'>;
/** The observation type of a spec or definition: the schema's OUTPUT type (`z.output`), `JsonObject` without a schema. */
export type ObservationOf<T> = SchemaOutput<SpecOf<T>, 'observation'>;
/** The state type of a spec or definition: the schema's OUTPUT type (`z.output`), `JsonObject` without a schema. */
export type StateOf<T> = SchemaOutput<SpecOf<T>, 'state'>;

/**
 * The declared tools of a spec or definition (`AnyToolSchemas`, i.e. any name, when undeclared).
 *
 * @example
 * const Echo = defineEnv({ name: 'echo', tools: { echo_message: z.object({ message: z.string() }) } });
 * type Tools = ToolsOf<typeof Echo>; // { echo_message: ZodObject<...> }
 */
export type ToolsOf<T> = T extends { spec: infer S } ? DeclaredTools<S> : DeclaredTools<T>;
type DeclaredTools<T> = T extends { tools?: infer X } ? (NonNullable<X> extends ToolSchemas ? NonNullable<X> : AnyToolSchemas) : AnyToolSchemas;

/** The typed `EnvSpec` a loose spec literal stands for. */
export type TypedSpec<T extends AnyEnvSpec> = EnvSpec<ActionOf<T>, ObservationOf<T>, StateOf<T>>;
