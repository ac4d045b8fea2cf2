import type { Observable } from 'rxjs';
import type { z } from 'zod';
import type { MaybePromise } from './environment.js';

/**
 * What a tool handler sees besides its arguments. Set `reward` and `done` to give the step that
 * called the tool its reward and end the episode; both are ignored for JSON-RPC calls (`tools/call`
 * over `POST /mcp` or the WS `mcp` message), which are not steps.
 */
export interface ToolContext {
  /** The step's reward; `null` (the default) is what OpenEnv sends for a plain tool call. */
  reward: number | null;
  /** Ends the episode after this step. Default false. */
  done: boolean;
  readonly episodeId: string | null;
  /** Steps of this episode so far, this one included (0 for a JSON-RPC call before any step). */
  readonly stepCount: number;
  /** Scratch space of this env instance (one per `/ws` socket); emptied by every reset. */
  readonly session: Record<string, unknown>;
}

/** A handler answers with a value, a Promise of it, or an Observable (its last value is the result; none is `null`). */
export type ToolHandlerResult<R> = R | Promise<R> | Observable<R>;

/**
 * One tool of a tool env. `input` validates the arguments before the handler runs (a failure is
 * an `invalid_args` tool error naming the fields); a throwing or rejecting handler is an
 * `execution_error`. `output`, when given, documents the result (`outputSchema` in `tools/list`)
 * and is checked on every result.
 *
 * @example
 * const add = defineTool({
 *   description: 'Adds two numbers.',
 *   input: z.strictObject({ a: z.number(), b: z.number() }),
 *   output: z.number(),
 *   handler: ({ a, b }, ctx) => { ctx.reward = 1; return a + b; },
 * });
 */
export interface ToolDefinition<I extends z.ZodType = z.ZodType, R = unknown> {
  readonly input: I;
  readonly description?: string;
  readonly title?: string;
  readonly output?: z.ZodType<R>;
  /** Runs the tool on the validated arguments; set `context.reward`/`context.done` to shape the step. */
  handler(args: z.output<I>, context: ToolContext): ToolHandlerResult<R>;
}

/** Tools by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ToolSet = Readonly<Record<string, ToolDefinition<any, any>>>;

/** Identity helper that infers a tool's argument and result types from its schemas. */
export function defineTool<I extends z.ZodType, R>(tool: ToolDefinition<I, R>): ToolDefinition<I, R> {
  return tool;
}

/** A tool call's outcome inside the env, before it is shaped for a dialect. */
export type ToolInvocation =
  | { ok: true; tool: string; value: unknown; wrapped: boolean; reward: number | null; done: boolean }
  | { ok: false; tool: string; errorType: 'tool_not_found' | 'invalid_args' | 'execution_error'; message: string; reward: number | null; done: boolean };

/** A tool as `tools/list` describes it (JSON Schemas already generated). */
export interface ToolDescriptor {
  name: string;
  title: string | null;
  description: string | null;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
}

/**
 * What the server needs from an env instance to answer `tools/list` and `tools/call` outside a
 * step (WS `mcp` messages, `POST /mcp`). `ToolEnvironment` implements it.
 */
export interface ToolHost {
  /** The tools as `tools/list` lists them. */
  describeTools(): readonly ToolDescriptor[];
  /** Runs one tool (validating the arguments); never throws: a failure is `{ ok: false, errorType }`. */
  invokeTool(name: string, args: Record<string, unknown>): MaybePromise<ToolInvocation>;
}

/** True when an env instance can answer JSON-RPC tool calls. */
export function isToolHost(env: unknown): env is ToolHost {
  return (
    typeof env === 'object' &&
    env !== null &&
    typeof (env as ToolHost).describeTools === 'function' &&
    typeof (env as ToolHost).invokeTool === 'function'
  );
}
