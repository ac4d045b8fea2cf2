import type { z } from 'zod';
import { ToolError } from '../errors/tool-errors.js';
import type { ErrorContext } from '../errors/openenv-error.js';
import { ProtocolError, ResponseValidationError } from '../errors/protocol-errors.js';
import { isRecord } from '../internal/is-record.js';
import { CallToolObservation, jsonRpcErrorOf, ListToolsObservation, McpCallToolResult, McpListToolsResult, type JsonRpcResponseMessage } from '../protocol/mcp-messages.js';
import type { ToolCallOutcome, ToolInfo } from './tool-types.js';

/** The reward and done of the step (or `null`/`false` for a JSON-RPC call). */
export interface StepMarks {
  reward: number | null;
  done: boolean;
}

/** What a tool "returned": OpenEnv's `data`, else structured content, else the first text block. */
function valueOf(result: McpCallToolResult): unknown {
  if ('data' in result) return result.data;
  const structured = result.structured_content ?? result.structuredContent;
  if (structured !== undefined && structured !== null) return structured;
  return result.content?.find((block) => typeof block.text === 'string')?.text ?? null;
}

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string, context: LazyContext): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ProtocolError(`The ${what} has an unexpected shape (${result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')})`, JSON.stringify(value)?.slice(0, 2000), context(), { cause: result.error });
  return result.data;
}

/** Error context, built only when an error needs it (the success path allocates none). */
export type LazyContext = () => ErrorContext;

/** A successful MCP result, its value checked against the tool's result schema when one was declared. */
function success(tool: string, result: McpCallToolResult, marks: StepMarks, resultSchema: z.ZodType | undefined, context: LazyContext): ToolCallOutcome {
  if (result.is_error === true || result.isError === true) {
    const text = result.content?.map((block) => block.text ?? '').join('\n') ?? '';
    return { ok: false, tool, error: new ToolError(tool, 'execution_error', undefined, text, context(), result), ...marks };
  }
  let value = valueOf(result);
  if (resultSchema) {
    const checked = resultSchema.safeParse(value);
    if (!checked.success) throw new ResponseValidationError(checked.error.issues, value, 'response', { ...context(), tool });
    value = checked.data;
  }
  return { ok: true, tool, value, result, ...marks };
}

/**
 * The outcome of a `call_tool` step from its observation: `error: {error_type, message}` is a
 * failure (a `ToolError` with `errorType`), a result is a success. Throws `ProtocolError` for an
 * observation that is neither, `ResponseValidationError` for a result breaking `resultSchema`.
 *
 * @example
 * toolStepOutcome('echo_message', observation, { reward: null, done: false }, undefined, () => ({}))
 * // { ok: true, tool: 'echo_message', value: 'hello', result: {...}, reward: null, done: false }
 */
export function toolStepOutcome(tool: string, observation: unknown, marks: StepMarks, resultSchema: z.ZodType | undefined, context: LazyContext): ToolCallOutcome {
  // The hot path: a successful call checked by hand (zod only for the rest, to name what is wrong).
  if (isRecord(observation) && observation['error'] == null && isRecord(observation['result']) && Array.isArray(observation['result']['content'])) {
    return success(tool, observation['result'] as McpCallToolResult, marks, resultSchema, context);
  }
  const body = parsed(CallToolObservation, observation, 'call_tool observation', context);
  if (body.error) {
    return { ok: false, tool, error: new ToolError(tool, body.error.error_type, undefined, body.error.message, context(), observation), ...marks };
  }
  return success(tool, parsed(McpCallToolResult, body.result, 'call_tool result', context), marks, resultSchema, context);
}

/** The outcome of a JSON-RPC `tools/call`: an error object is a failure (a `ToolError` with `rpcCode`). */
export function toolRpcOutcome(tool: string, reply: JsonRpcResponseMessage, resultSchema: z.ZodType | undefined, context: LazyContext): ToolCallOutcome {
  const marks = { reward: null, done: false };
  const failure = jsonRpcErrorOf(reply);
  if (failure) return { ok: false, tool, error: new ToolError(tool, undefined, failure.code, failure.message, context(), failure), ...marks };
  const result = (reply as { result?: unknown }).result;
  const checked = isRecord(result) && Array.isArray(result['content']) ? (result as McpCallToolResult) : parsed(McpCallToolResult, result, 'tools/call result', context);
  return success(tool, checked, marks, resultSchema, context);
}

/** Tools from a `list_tools` observation (`input_schema`) or a `tools/list` result (`inputSchema`). */
export function toolInfos(body: unknown, from: 'step' | 'mcp', context: LazyContext): ToolInfo[] {
  if (from === 'step') {
    return parsed(ListToolsObservation, body, 'list_tools observation', context).tools.map(({ input_schema, ...rest }) => ({
      ...rest,
      ...(isRecord(input_schema) && { inputSchema: input_schema }),
    }));
  }
  return parsed(McpListToolsResult, body, 'tools/list result', context).tools;
}
