import { z } from 'zod';
import { openEnvToolResult, resultText } from '../environment/tool-catalog.js';
import type { MaybePromise } from '../environment/environment.js';
import type { ToolDescriptor, ToolInvocation } from '../environment/tools.js';
import { formatValidationErrorText } from '../internal/pydantic-error-text.js';
import { isPromiseLike } from '../internal/is-promise-like.js';
import { isRecord } from '../internal/is-record.js';
import { messageOf } from '../internal/error-context.js';
import { toPydanticIssues } from '../internal/pydantic-issues.js';
import { MCP_PROTOCOL_VERSIONS } from '../protocol/mcp-messages.js';
import { parseJsonLikePython } from './json-decode-error.js';
import { JsonRpcFault } from '../errors/json-rpc-fault.js';

/** JSON-RPC 2.0 error codes OpenEnv uses on `/mcp` (-32000: capacity). */
export const JSON_RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  CAPACITY: -32000,
} as const;

/** OpenEnv's `JsonRpcRequest` model: strict, `params` defaults to `{}`. */
export const JsonRpcRequest = z.strictObject({
  jsonrpc: z.literal('2.0'),
  method: z.string(),
  params: z.unknown().optional(),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
});

/** OpenEnv's model types `params` as a dict: an array (or any non-object) is an invalid request there. */
const OpenEnvJsonRpcRequest = JsonRpcRequest.extend({ params: z.record(z.string(), z.unknown()).optional() });

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data: unknown };
}

/**
 * `openenv`: OpenEnv's own dialect (snake_case results, FastMCP's `null` fields, session methods).
 * `standard`: MCP as the official SDKs speak it (camelCase, `initialize`, notifications get no answer).
 */
export type McpDialect = 'openenv' | 'standard';


/** Where tool calls go: the socket's env, a fresh env per call, or an `openenv/session/create` session. */
export interface JsonRpcToolBackend {
  list(sessionId: string | undefined): MaybePromise<readonly ToolDescriptor[]>;
  call(name: string, args: Record<string, unknown>, sessionId: string | undefined): MaybePromise<ToolInvocation>;
  /** Absent over `/ws` (a socket is its own session). */
  createSession?(): MaybePromise<string>;
  closeSession?(sessionId: string): MaybePromise<void>;
}

export interface JsonRpcOptions {
  /** Absent for envs without tools: `tools/*` then answer "Environment does not support MCP". */
  tools?: JsonRpcToolBackend;
  dialect?: McpDialect;
  /** `serverInfo` of a standard `initialize`. */
  server?: { name: string; version: string };
  /**
   * The id of the session this request arrives in (a `/ws` socket): `openenv/session/create`
   * answers it, and `openenv/session/close` refuses it (-32600), as OpenEnv does over `/ws`.
   */
  sessionId?: string;
}

const NOT_MCP = 'Environment does not support MCP';

function failure(id: string | number | null, code: number, message: string): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: { code, message, data: null } };
}

const success = (id: string | number | null, result: unknown): JsonRpcResponse => ({ jsonrpc: '2.0', id, result });

/** Runs `fn`, turning a `JsonRpcFault` (thrown or rejected) and any other failure into an error response. */
function guarded(id: string | number | null, fn: () => MaybePromise<JsonRpcResponse>): MaybePromise<JsonRpcResponse> {
  const failed = (error: unknown): JsonRpcResponse =>
    error instanceof JsonRpcFault ? failure(id, error.code, error.message) : failure(id, JSON_RPC.INTERNAL_ERROR, messageOf(error));
  try {
    const answer = fn();
    return isPromiseLike<JsonRpcResponse>(answer) ? Promise.resolve(answer).then((value) => value, failed) : answer;
  } catch (error) {
    return failed(error);
  }
}

const then = <T, R>(value: MaybePromise<T>, fn: (value: T) => R): MaybePromise<R> =>
  isPromiseLike<T>(value) ? Promise.resolve(value).then(fn) : fn(value);

function listResult(tools: readonly ToolDescriptor[], dialect: McpDialect): unknown {
  if (dialect === 'openenv') {
    // FastMCP's Tool model dumped as OpenEnv sends it: every optional field present, null.
    return {
      tools: tools.map((t) => ({
        name: t.name,
        title: t.title,
        description: t.description,
        inputSchema: t.inputSchema,
        outputSchema: t.outputSchema,
        icons: null,
        annotations: null,
        meta: { fastmcp: { tags: [] } },
        execution: null,
      })),
    };
  }
  return {
    tools: tools.map((t) => ({
      name: t.name,
      ...(t.title !== null && { title: t.title }),
      ...(t.description !== null && { description: t.description }),
      inputSchema: t.inputSchema,
      ...(t.outputSchema !== null && { outputSchema: t.outputSchema }),
    })),
  };
}

function callAnswer(id: string | number | null, invocation: ToolInvocation, dialect: McpDialect): JsonRpcResponse {
  if (dialect === 'openenv') {
    // OpenEnv turns every failed call into an internal error carrying the tool's message.
    return invocation.ok ? success(id, openEnvToolResult(invocation.value, invocation.wrapped)) : failure(id, JSON_RPC.INTERNAL_ERROR, invocation.message);
  }
  if (invocation.ok) {
    return success(id, {
      content: [{ type: 'text', text: resultText(invocation.value) }],
      structuredContent: invocation.wrapped ? { result: invocation.value } : invocation.value,
      isError: false,
    });
  }
  // MCP: an unknown tool is a protocol error; bad arguments and failures are results the model can read.
  if (invocation.errorType === 'tool_not_found') return failure(id, JSON_RPC.INVALID_PARAMS, invocation.message);
  return success(id, { content: [{ type: 'text', text: invocation.message }], isError: true });
}

function initializeResult(params: Record<string, unknown>, server: { name: string; version: string }): unknown {
  const requested = params['protocolVersion'];
  const version = (MCP_PROTOCOL_VERSIONS as readonly unknown[]).includes(requested) ? requested : MCP_PROTOCOL_VERSIONS[0];
  return { protocolVersion: version, capabilities: { tools: { listChanged: false } }, serverInfo: server };
}

/**
 * Answers one JSON-RPC request: `tools/list`, `tools/call` (`params: {name, arguments, session_id?}`),
 * `openenv/session/create|close` in OpenEnv's dialect, plus `initialize` and `ping` in the standard
 * one. A malformed request gets -32600 with pydantic's error text, an unknown method -32601, an env
 * without tools -32603 "Environment does not support MCP". Returns `undefined` for a standard
 * notification (no answer is sent). Never throws; a tool backend's failure is an error response.
 *
 * @example
 * answerJsonRpc({ jsonrpc: '2.0', method: 'tools/list', id: 1 })
 * // { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'Environment does not support MCP', data: null } }
 */
export function answerJsonRpc(payload: unknown, options: JsonRpcOptions = {}): MaybePromise<JsonRpcResponse | undefined> {
  const dialect = options.dialect ?? 'openenv';
  const model = dialect === 'openenv' ? OpenEnvJsonRpcRequest : JsonRpcRequest;
  const parsed = model.safeParse(payload);
  if (!parsed.success) {
    // A client's reply to a server request, or anything else: standard MCP acknowledges, never answers.
    if (dialect === 'standard' && isRecord(payload) && !('method' in payload)) return undefined;
    // With the schema, `jsonrpc` reads as pydantic's Literal (`literal_error`), not an Enum.
    const issues = toPydanticIssues(parsed.error.issues, payload, { withUrl: true, schema: model });
    return failure(null, JSON_RPC.INVALID_REQUEST, `Invalid request: ${formatValidationErrorText('JsonRpcRequest', issues)}`);
  }
  const { method } = parsed.data;
  if (dialect === 'standard' && parsed.data.id === undefined) return undefined; // a notification
  const id = parsed.data.id ?? null;
  const params = parsed.data.params ?? {};
  if (!isRecord(params)) return failure(id, JSON_RPC.INVALID_PARAMS, 'Params must be an object');
  const tools = options.tools;
  const sessionId = typeof params['session_id'] === 'string' ? params['session_id'] : undefined;

  switch (method) {
    case 'tools/list':
      if (!tools) return failure(id, JSON_RPC.INTERNAL_ERROR, NOT_MCP);
      return guarded(id, () => then(tools.list(sessionId), (list) => success(id, listResult(list, dialect))));
    case 'tools/call': {
      const name = params['name'];
      if (!name) return failure(id, JSON_RPC.INVALID_PARAMS, "Missing 'name' in params");
      if (!tools) return failure(id, JSON_RPC.INTERNAL_ERROR, NOT_MCP);
      if (typeof name !== 'string') return failure(id, JSON_RPC.INVALID_PARAMS, "'name' must be a string");
      const args = params['arguments'] ?? {};
      if (!isRecord(args)) return failure(id, JSON_RPC.INVALID_PARAMS, "'arguments' must be an object");
      return guarded(id, () => then(tools.call(name, args, sessionId), (invocation) => callAnswer(id, invocation, dialect)));
    }
    case 'openenv/session/create':
      if (!tools) return failure(id, JSON_RPC.INTERNAL_ERROR, NOT_MCP);
      if (options.sessionId !== undefined && dialect === 'openenv') return success(id, { session_id: options.sessionId });
      if (!tools.createSession || dialect !== 'openenv') break;
      return guarded(id, () => then(tools.createSession!(), (created) => success(id, { session_id: created })));
    case 'openenv/session/close':
      if (!sessionId) return failure(id, JSON_RPC.INVALID_PARAMS, "Invalid params - 'session_id' is required");
      if (sessionId === options.sessionId) return failure(id, JSON_RPC.INVALID_REQUEST, 'Cannot close active WebSocket-managed session via MCP method');
      if (!tools?.closeSession || dialect !== 'openenv') {
        // No MCP session can exist here, so every id is unknown.
        return failure(id, JSON_RPC.INVALID_PARAMS, `Unknown session_id: ${sessionId}`);
      }
      return guarded(id, () => then(tools.closeSession!(sessionId), () => success(id, { session_id: sessionId, closed: true })));
    case 'initialize':
      if (dialect === 'standard' && tools && options.server) return success(id, initializeResult(params, options.server));
      break;
    case 'ping':
      if (dialect === 'standard') return success(id, {});
      break;
  }
  return failure(id, JSON_RPC.METHOD_NOT_FOUND, `Method not found: ${method}`);
}

/** `POST /mcp` in OpenEnv's dialect: decodes the body first (-32700 "Parse error" on bad JSON or a non-object). */
export function answerJsonRpcText(text: string, options: JsonRpcOptions = {}): MaybePromise<JsonRpcResponse | undefined> {
  const parsed = parseJsonLikePython(text);
  // OpenEnv builds the model with `JsonRpcRequest(**body)`: a non-object body fails before validation.
  const value = parsed.ok ? parsed.value : undefined;
  if (!isRecord(value)) return failure(null, JSON_RPC.PARSE_ERROR, 'Parse error');
  return answerJsonRpc(value, options);
}
