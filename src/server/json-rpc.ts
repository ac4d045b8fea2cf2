import { z } from 'zod';
import { formatValidationErrorText } from './pydantic-error-text.js';
import { parseJsonLikePython } from './json-decode-error.js';
import { toPydanticIssues } from './pydantic-issues.js';

/** JSON-RPC 2.0 error codes OpenEnv uses on `/mcp`. */
export const JSON_RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

/** OpenEnv's `JsonRpcRequest` model: strict, `params` defaults to `{}`. */
export const JsonRpcRequest = z.strictObject({
  jsonrpc: z.literal('2.0'),
  method: z.string(),
  params: z.unknown().optional(),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
});

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data: unknown };
}

const NOT_MCP = 'Environment does not support MCP';

function failure(id: string | number | null, code: number, message: string): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: { code, message, data: null } };
}

/**
 * Answers a JSON-RPC request for an env that has no MCP tools, as OpenEnv does: `tools/*` and
 * session creation get -32603 "Environment does not support MCP", unknown methods -32601,
 * a malformed request -32600 with pydantic's error text. Never throws.
 *
 * @example
 * answerJsonRpc({ jsonrpc: '2.0', method: 'tools/list', id: 1 })
 * // { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'Environment does not support MCP', data: null } }
 */
export function answerJsonRpc(payload: unknown): JsonRpcResponse {
  const parsed = JsonRpcRequest.safeParse(payload);
  if (!parsed.success) {
    const issues = toPydanticIssues(parsed.error.issues, payload, { withUrl: true });
    return failure(null, JSON_RPC.INVALID_REQUEST, `Invalid request: ${formatValidationErrorText('JsonRpcRequest', issues)}`);
  }
  const { method, id = null } = parsed.data;
  const params = parsed.data.params ?? {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    return failure(id, JSON_RPC.INVALID_PARAMS, 'Params must be an object');
  }
  const p = params as Record<string, unknown>;
  switch (method) {
    case 'tools/list':
    case 'openenv/session/create':
      return failure(id, JSON_RPC.INTERNAL_ERROR, NOT_MCP);
    case 'tools/call':
      return p['name'] ? failure(id, JSON_RPC.INTERNAL_ERROR, NOT_MCP) : failure(id, JSON_RPC.INVALID_PARAMS, "Missing 'name' in params");
    case 'openenv/session/close':
      // No MCP session can exist on a non-MCP env, so every id is unknown.
      return p['session_id']
        ? failure(id, JSON_RPC.INVALID_PARAMS, `Unknown session_id: ${String(p['session_id'])}`)
        : failure(id, JSON_RPC.INVALID_PARAMS, "Invalid params - 'session_id' is required");
    default:
      return failure(id, JSON_RPC.METHOD_NOT_FOUND, `Method not found: ${method}`);
  }
}

/** `POST /mcp`: decodes the body first (-32700 "Parse error" on bad JSON or a non-object), then `answerJsonRpc`. */
export function answerJsonRpcText(text: string): JsonRpcResponse {
  const parsed = parseJsonLikePython(text);
  // OpenEnv builds the model with `JsonRpcRequest(**body)`: a non-object body fails before validation.
  const value = parsed.ok ? parsed.value : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return failure(null, JSON_RPC.PARSE_ERROR, 'Parse error');
  return answerJsonRpc(value);
}
