import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from '../internal/is-record.js';
import { MCP_PROTOCOL_VERSIONS } from '../protocol/mcp-messages.js';
import { parseJsonLikePython } from './json-decode-error.js';
import { jsonTooDeepAt, tooDeepMessage } from '../internal/json-depth.js';
import { answerJsonRpc, answerJsonRpcText, JSON_RPC } from './json-rpc.js';
import type { ServerContext } from './server-context.js';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const rpcError = (code: number, message: string) => ({ jsonrpc: '2.0', id: null, error: { code, message, data: null } });

/**
 * Standard MCP is recognised by what only its clients send: an `MCP-Protocol-Version` or
 * `Mcp-Session-Id` header (every request after `initialize`), or the `initialize` request and
 * `notifications/*` themselves. Everything else is OpenEnv's dialect, so its clients see no change.
 */
function isStandardMcp(req: IncomingMessage, body: unknown): boolean {
  if (req.headers['mcp-protocol-version'] !== undefined || req.headers['mcp-session-id'] !== undefined) return true;
  const method = isRecord(body) ? body['method'] : undefined;
  return method === 'initialize' || (typeof method === 'string' && method.startsWith('notifications/'));
}

/**
 * `POST /mcp`. OpenEnv's dialect: always 200, a JSON-RPC response (parse errors included).
 * Standard MCP (Streamable HTTP, protocol versions 2025-11-25 and 2025-06-18, stateless: no
 * `Mcp-Session-Id` is issued): 200 with a JSON response for requests, 202 with no body for
 * notifications and client responses, 400 for an unsupported `MCP-Protocol-Version` or bad JSON,
 * (a foreign `Origin` was refused before, on every route: see `originGuard`). Tool calls without a session run on a fresh env each.
 *
 * @example
 * // POST /mcp {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",...}}
 * // 200 {"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{...}},"serverInfo":{...}}}
 */
export async function answerMcpPost(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
  const text = raw.toString('utf8');
  const deepAt = jsonTooDeepAt(text, ctx.maxJsonDepth);
  if (deepAt !== undefined) {
    // The client's fault, like a malformed request; standard MCP answers it with 400.
    const status = req.headers['mcp-protocol-version'] !== undefined || req.headers['mcp-session-id'] !== undefined ? 400 : 200;
    return send(res, status, rpcError(JSON_RPC.INVALID_REQUEST, `Invalid request: ${tooDeepMessage(ctx.maxJsonDepth, deepAt)}`));
  }
  const decoded = parseJsonLikePython(text);
  const body = decoded.ok ? decoded.value : undefined;
  const options = { ...(ctx.mcpBackend && { tools: ctx.mcpBackend }), server: ctx.serverInfo };
  if (!isStandardMcp(req, body)) {
    send(res, 200, await answerJsonRpcText(text, options));
    return;
  }
  const version = req.headers['mcp-protocol-version'];
  if (version !== undefined && !(MCP_PROTOCOL_VERSIONS as readonly string[]).includes(String(version))) {
    return send(res, 400, rpcError(JSON_RPC.INVALID_REQUEST, `Bad Request: Unsupported protocol version ${String(version)} (supported: ${MCP_PROTOCOL_VERSIONS.join(', ')})`));
  }
  if (!isRecord(body)) return send(res, 400, rpcError(JSON_RPC.PARSE_ERROR, 'Parse error'));
  const answer = await answerJsonRpc(body, { ...options, dialect: 'standard' });
  if (answer === undefined) {
    res.writeHead(202, { 'content-length': 0 });
    res.end();
    return;
  }
  send(res, 200, answer);
}
