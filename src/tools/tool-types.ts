import type { z } from 'zod';
import type { McpCallToolResult } from '../protocol/mcp-messages.js';
import type { ToolError } from '../errors/tool-errors.js';

/** A tool as the client declares it: its argument schema, or `{ input, result? }` to check results too. */
export type ToolSchema = z.ZodType | { readonly input: z.ZodType; readonly result?: z.ZodType };

/** Tools by name, as `defineEnv({ tools })` takes them. */
export type ToolSchemas = Readonly<Record<string, ToolSchema>>;

/** What an env without declared tools has: any name, any JSON object of arguments. */
export type AnyToolSchemas = Readonly<Record<string, ToolSchema>>;

type InputOf<E> = E extends { input: infer I extends z.ZodType } ? I : E extends z.ZodType ? E : never;

/** The tool names of a tool spec (`string` when undeclared). */
export type ToolName<T> = string extends keyof T ? string : Extract<keyof T, string>;

/** The arguments of tool `K`: the input side of its schema (defaults optional), or a JSON object when undeclared. */
export type ToolArgs<T, K> = string extends keyof T ? Record<string, unknown> : K extends keyof T ? z.input<InputOf<T[K]>> : never;

/** The result value of tool `K`: its result schema's output, else `unknown`. */
export type ToolResultValue<T, K> = string extends keyof T
  ? unknown
  : K extends keyof T
    ? T[K] extends { result: infer R extends z.ZodType }
      ? z.output<R>
      : unknown
    : unknown;

/**
 * The step action that calls tool `K` (what `Env.toolCall` builds and a policy may return). A type
 * alias, not an interface, so it is assignable to the plain JSON-object action of a tool env.
 */
export type CallToolStep<K extends string = string, A = Record<string, unknown>> = {
  type: 'call_tool';
  tool_name: K;
  arguments: A;
};

/** A tool as the server lists it, from a `list_tools` step or a JSON-RPC `tools/list`. */
export interface ToolInfo {
  name: string;
  title?: string | null;
  description?: string | null;
  /** JSON Schema of the arguments (`input_schema` / `inputSchema` on the wire). */
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown> | null;
}

/** `listTools()`: the tools, plus the step's reward and done (null/false over JSON-RPC). */
export interface ToolList {
  tools: ToolInfo[];
  reward: number | null;
  done: boolean;
}

/** A successful tool call. */
export interface ToolCallResult<R = unknown> {
  readonly ok: true;
  tool: string;
  /** What the tool returned: `data` in OpenEnv's dialect, else the structured content, else the text. */
  value: R;
  /** The MCP result as received (content blocks, structured content, ...). */
  result: McpCallToolResult;
  /** The step's reward (`null` for JSON-RPC calls and for OpenEnv's plain tool steps). */
  reward: number | null;
  done: boolean;
}

/** A failed tool call, emitted as a value with `toolErrors: 'value'`. */
export interface ToolCallFailure {
  readonly ok: false;
  tool: string;
  error: ToolError;
  reward: number | null;
  done: boolean;
}

/** What `callTool(..., { toolErrors: 'value' })` emits: the result, or `{ ok: false, error }` for a failure the server reported. */
export type ToolCallOutcome<R = unknown> = ToolCallResult<R> | ToolCallFailure;

/** Options of `callTool`. */
export interface CallToolOptions {
  /**
   * `step` (default): a `call_tool` step, with reward and done, counted in the episode; one at a
   * time like every step. `mcp`: a JSON-RPC `tools/call` (WS `mcp` message or `POST /mcp`): not a
   * step, no reward, several may be outstanding at once.
   */
  via?: 'step' | 'mcp';
  /**
   * `error` (default): a tool failure (unknown tool, refused arguments, the tool raised) errors the
   * Observable with a `ToolError`. `value`: it is emitted as `{ ok: false, error }` instead, for
   * agents that read the failure and try again.
   */
  toolErrors?: 'error' | 'value';
}

/** Options of `listTools`. */
export interface ListToolsOptions {
  /** `step` (default): a `list_tools` step. `mcp`: JSON-RPC `tools/list`, not a step. */
  via?: 'step' | 'mcp';
}
