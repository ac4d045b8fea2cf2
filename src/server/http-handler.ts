import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerMcpPost } from './mcp-route.js';
import { toPydanticIssues } from '../internal/pydantic-issues.js';
import { readBody } from './read-body.js';
import { parseBody, ResetBody, StepBody, toResetOptions } from './request-bodies.js';
import { StatelessBusyFault, withFreshEnv, type ServerContext } from './server-context.js';
import { PayloadTooLargeError } from '../errors/server-errors.js';
import { toHttpState, toWireOutcome } from './wire-outcome.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const HEALTHY = '{"status":"healthy"}';
const NOT_FOUND = '{"detail":"Not Found"}';
const NOT_ALLOWED = '{"detail":"Method Not Allowed"}';
const NOT_AUTHENTICATED = '{"detail":"Not authenticated"}';
const TOO_LARGE = '{"detail":"Request body too large"}';
export const FORBIDDEN_ORIGIN = '{"detail":"Origin not allowed"}';
const CORS_METHODS = 'GET, POST, OPTIONS';
const CORS_HEADERS = 'authorization, content-type, mcp-protocol-version, mcp-session-id, last-event-id';

/** Writes a JSON body that is already a string (static routes are serialised once). */
export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** 503 for a stateless request past `maxStatelessRequests`: nothing was built, retrying later is safe. */
function sendBusy(res: ServerResponse, fault: StatelessBusyFault): void {
  if (res.headersSent) return void res.destroy();
  sendJson(res, 503, JSON.stringify({ detail: fault.message }), { 'retry-after': '1' });
}

function sendInternalError(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 21 });
  res.end('Internal Server Error');
}

/**
 * The HTTP side of the server, answering as OpenEnv's FastAPI app does: static routes from
 * pre-serialised strings, stateless `/reset`, `/step`, `/state` on a fresh env each, `POST /mcp`
 * JSON-RPC (OpenEnv's dialect and standard MCP, see `answerMcpPost`), 404/405 with `detail`, 422 pydantic bodies, 413 past `maxBodyBytes`, 401 without the token.
 *
 * @example
 * http.createServer(createHttpHandler(ctx));
 */
export function createHttpHandler(ctx: ServerContext): (req: IncomingMessage, res: ServerResponse) => void {
  const bodyOf = async (req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> => {
    try {
      return await readBody(req, ctx.maxBodyBytes);
    } catch (err) {
      if (err instanceof PayloadTooLargeError) sendJson(res, 413, TOO_LARGE, { connection: 'close' });
      else res.destroy();
      return undefined;
    }
  };

  const reset: Handler = async (req, res) => {
    const raw = await bodyOf(req, res);
    if (!raw) return;
    const body = parseBody(ResetBody, raw, false, ctx.maxJsonDepth);
    if (!body.ok) return sendJson(res, 422, JSON.stringify({ detail: body.detail }));
    const options = toResetOptions(body.value);
    const outcome = await withFreshEnv(ctx, 'reset', (env) => env.reset(options));
    sendJson(res, 200, JSON.stringify(toWireOutcome(outcome)));
  };

  const step: Handler = async (req, res) => {
    const raw = await bodyOf(req, res);
    if (!raw) return;
    const body = parseBody(StepBody, raw, true, ctx.maxJsonDepth);
    if (!body.ok) return sendJson(res, 422, JSON.stringify({ detail: body.detail }));
    const { action: input, timeout_s, request_id } = body.value;
    const parsed = ctx.parseAction(input);
    if (!parsed.ok) {
      const detail = toPydanticIssues(parsed.issues, input, { withUrl: true, schema: parsed.schema });
      return sendJson(res, 422, JSON.stringify({ detail }));
    }
    const context = { ...(timeout_s != null && { timeoutS: timeout_s }), ...(request_id != null && { requestId: request_id }) };
    const outcome = await withFreshEnv(ctx, 'step', (env) => env.step(parsed.action as Record<string, unknown>, context));
    sendJson(res, 200, JSON.stringify(toWireOutcome(outcome)));
  };

  const state: Handler = async (_req, res) => {
    const current = await withFreshEnv(ctx, 'state', (env) => env.state());
    sendJson(res, 200, JSON.stringify(toHttpState(current)));
  };

  const mcp: Handler = async (req, res) => {
    const raw = await bodyOf(req, res);
    if (!raw) return;
    await answerMcpPost(ctx, req, res, raw);
  };

  const routes = new Map<string, Partial<Record<string, Handler>>>([
    ['/health', { GET: (_q, res) => sendJson(res, 200, HEALTHY) }],
    ['/metadata', { GET: (_q, res) => sendJson(res, 200, ctx.metadataJson) }],
    ['/schema', { GET: (_q, res) => sendJson(res, 200, ctx.schemaJson) }],
    ['/openapi.json', { GET: (_q, res) => sendJson(res, 200, ctx.openapiJson) }],
    ['/reset', { POST: reset }],
    ['/step', { POST: step }],
    ['/state', { GET: state }],
    ['/mcp', { POST: mcp }],
  ]);

  return (req, res) => {
    // First, before the token: a page the user visits must not drive the server (see originGuard).
    const origin = ctx.checkOrigin(req.headers);
    if (origin === 'refused') {
      req.resume();
      return sendJson(res, 403, FORBIDDEN_ORIGIN, { connection: 'close' });
    }
    if (origin === 'listed') {
      // An allowed hosted UI may read the answers (CORS); its preflights are answered here.
      res.setHeader('access-control-allow-origin', req.headers.origin!);
      res.setHeader('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        req.resume();
        res.writeHead(204, { 'access-control-allow-methods': CORS_METHODS, 'access-control-allow-headers': CORS_HEADERS, 'access-control-max-age': '600', 'content-length': 0 });
        return res.end();
      }
    }
    // `/health` stays public, as on OpenEnv servers: readiness probes and Docker HEALTHCHECKs carry no token.
    if (!ctx.isAuthorized(req.headers.authorization) && !(req.method === 'GET' && (req.url === '/health' || req.url?.startsWith('/health?')))) {
      req.resume();
      return sendJson(res, 401, NOT_AUTHENTICATED, { 'www-authenticate': 'Bearer' });
    }
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const route = routes.get(query === -1 ? url : url.slice(0, query));
    if (!route) {
      req.resume();
      return sendJson(res, 404, NOT_FOUND);
    }
    const handler = route[req.method ?? 'GET'];
    if (!handler) {
      req.resume();
      return sendJson(res, 405, NOT_ALLOWED, { allow: Object.keys(route).join(', ') });
    }
    try {
      const pending = handler(req, res);
      if (pending) pending.catch((err: unknown) => (err instanceof StatelessBusyFault ? sendBusy(res, err) : sendInternalError(res)));
    } catch {
      sendInternalError(res);
    }
  };
}
