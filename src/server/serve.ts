import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import type { AnyEnvDefinition } from '../environment/environment.js';
import { ServeError } from '../errors/server-errors.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../internal/json-depth.js';
import { buildServerContext } from './build-server-context.js';
import { createHttpHandler } from './http-handler.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from './idle-default.js';
import { createMcpHttpBackend } from './mcp-http-backend.js';
import type { ServerContext, ServerErrorInfo } from './server-context.js';
import { createSessionSlots } from './session-slots.js';
import { WsEndpoint } from './ws-endpoint.js';

/**
 * Options of `serve(definition, options)`: where to listen, session limits, auth, message bounds.
 *
 * @example
 * // Port 8000 as OpenEnv servers use, 8 concurrent sessions, clients must send `Authorization: Bearer s3cret`.
 * const server = await serve(gridWorldEnv, { port: 8000, maxSessions: 8, token: 's3cret' });
 * await server.close();
 */
export interface ServeOptions {
  /** Interface to bind. Default `127.0.0.1` (loopback only); containers pass `0.0.0.0`. */
  host?: string;
  /** Default 0: the OS picks a free port (read it from `RunningServer.port`). */
  port?: number;
  /** Concurrent `/ws` sessions (and `openenv/session/create` sessions of tool envs); one more gets CAPACITY_REACHED (-32000). Default 1, as OpenEnv. */
  maxSessions?: number;
  /**
   * Stateless requests served at once: `/reset`, `/step`, `/state` and `POST /mcp` tool calls
   * without a session each build a fresh env (as OpenEnv does) and close it after answering. One
   * more gets 503 (`Retry-After: 1`) or JSON-RPC -32000 before any env is built, so a flood of
   * requests cannot build envs without bound. Separate from `maxSessions` (stateless requests are
   * short; sharing would let them refuse `/ws` sessions). Default 16.
   */
  maxStatelessRequests?: number;
  /**
   * Close a session after this many ms without a message: a `/ws` socket gets a SESSION_ERROR frame
   * (`reason: "idle_timeout"`) and close 4408 (the client raises `SessionIdleError`); an
   * `openenv/session/create` session is closed and its id then answers -32602 saying so. Either
   * frees its `maxSessions` slot at once, so an abandoned client (or one unauthenticated request)
   * cannot hold the server's capacity. Default 600 000 (10 minutes: far longer than an agent
   * thinks between steps, short enough that a forgotten notebook gives its slot back); 0: never.
   */
  idleTimeoutMs?: number;
  /** Require `Authorization: Bearer <token>` on every HTTP request and WS upgrade (401 otherwise). */
  token?: string;
  /**
   * Browser origins (`https://ui.example.com`) allowed to call this server; they get CORS headers.
   * Any other `Origin` is refused with 403 on every route and every WS upgrade, so a web page the
   * user visits cannot drive the server. Requests without `Origin` (non-browser clients) and pages
   * of the server's own loopback origin always pass. `['*']` allows every origin. Default `[]`.
   */
  allowedOrigins?: string[];
  /** Largest HTTP body; larger gets 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Deepest nesting of arrays/objects a request body or `/ws` message may have; deeper is the
   * client's fault: 422 `json_invalid`, a VALIDATION_ERROR frame, or JSON-RPC -32600. Checked
   * before parsing, since deep nesting overflows the stack of whatever walks it. Default 256.
   */
  maxJsonDepth?: number;
  /** Largest `/ws` message; larger closes the socket with 1009. Default 16 MiB (uvicorn's). */
  maxMessageBytes?: number;
  /**
   * Messages one `/ws` socket may have waiting (received, not yet answered: queued behind a slow
   * step, `mcp` calls still running, or replies the client has not read yet, beyond what the
   * kernel buffers). One more gets a SESSION_ERROR frame (`max_queued`) and
   * the socket is closed with 1008 (policy violation): a client flooding the socket cannot grow
   * the server's memory. Default 1024.
   */
  maxQueuedMessages?: number;
  /** `/ws` ping interval, as real servers ping every 20 s. Default 20 000; 0 disables. */
  pingIntervalMs?: number;
  /** How long `close()` waits for clients to acknowledge the close frame before cutting them. Default 2000. */
  closeTimeoutMs?: number;
  /** Sees every env failure (create, reset, step, state, close). The token never reaches it. */
  onError?: (error: unknown, info: ServerErrorInfo) => void;
  /**
   * Runs the idle timeouts (`/ws` and MCP sessions) and the pings. Default rxjs's `asyncScheduler` (real time); tests
   * pass a `VirtualTimeScheduler` to step through time instead of sleeping.
   */
  scheduler?: SchedulerLike;
}

/**
 * A server `serve()` started: where it listens, and how to stop it. `close()` is idempotent: it
 * closes every session (1001) and the listener.
 *
 * @example
 * const server = await serve(gridWorldEnv);
 * console.log(server.url, server.activeSessions()); // http://127.0.0.1:40123 0
 * await server.close();
 */
export interface RunningServer {
  /** `http://127.0.0.1:<port>` (a wildcard bind is reported as loopback). */
  url: string;
  /** The port it listens on (the OS's pick when `port` was 0). */
  port: number;
  /** Sessions open now (`/ws` sockets holding a slot). */
  activeSessions(): number;
  /** Stops accepting, closes every session (each env's `close` runs), then the listener. */
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
export { DEFAULT_IDLE_TIMEOUT_MS };

const OptionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.int().min(0).max(65535).default(0),
  maxSessions: z.int().min(1).default(1),
  maxStatelessRequests: z.int().min(1).default(16),
  idleTimeoutMs: z.number().min(0).default(DEFAULT_IDLE_TIMEOUT_MS),
  token: z.string().min(1, 'token must not be empty').optional(),
  allowedOrigins: z.array(z.string().refine(isOriginOrStar, 'each entry must be an origin such as https://ui.example.com, or *')).default([]),
  maxBodyBytes: z.int().min(1).default(MiB),
  maxMessageBytes: z.int().min(1).default(16 * MiB),
  maxJsonDepth: z.int().min(1).default(DEFAULT_MAX_JSON_DEPTH),
  maxQueuedMessages: z.int().min(1).default(1024),
  pingIntervalMs: z.int().min(0).default(20_000),
  closeTimeoutMs: z.int().min(0).default(2000),
});

/**
 * Serves an env over the current OpenEnv protocol (generation H): `/health`, `/metadata`, `/schema`,
 * `/openapi.json`, stateless `POST /reset`, `POST /step`, `GET /state`, `POST /mcp`, and the stateful
 * `WS /ws` (one env instance per socket). A tool env (`defineToolEnv`) also answers the
 * `list_tools`/`call_tool` step actions, JSON-RPC tool calls over `POST /mcp` and the WS `mcp`
 * message, and standard MCP (Streamable HTTP) on `/mcp`. Rejects with `ServeError` on bad options
 * or a busy port.
 *
 * @example
 * const server = await serve(gridWorldEnv, { maxSessions: 4 });
 * console.log(server.url); // http://127.0.0.1:40123
 * await server.close();
 */
export async function serve(definition: AnyEnvDefinition, options: ServeOptions = {}): Promise<RunningServer> {
  const { onError, scheduler, ...rest } = options;
  const parsed = OptionsSchema.safeParse(rest);
  if (!parsed.success) {
    // Never echo the token value back: name the fields only.
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ServeError(`Invalid serve options (${fields})`, { env: definition.name });
  }
  const opts = parsed.data;
  if (typeof definition.create !== 'function' || !definition.action) {
    throw new ServeError('Not an env definition: it needs a name, an action schema and create()', { env: definition.name });
  }
  const base = buildServerContext(definition, opts, onError);
  // One slot table for /ws sockets and MCP sessions: together they are the server's sessions.
  const slots = createSessionSlots(opts.maxSessions);
  const mcpBackend = base.tools ? createMcpHttpBackend(base, slots, { idleTimeoutMs: opts.idleTimeoutMs, ...(scheduler && { scheduler }) }) : undefined;
  const ctx: ServerContext = { ...base, mcpBackend };
  const http = createServer(createHttpHandler(ctx));
  const wsEndpoint = new WsEndpoint(ctx, slots, { ...opts, scheduler });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => wsEndpoint.upgrade(req, socket, head));
  await listen(http, opts.host, opts.port, definition.name);
  http.on('error', (err) => ctx.report(err, { operation: 'send', transport: 'http' }));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await wsEndpoint.close();
      await mcpBackend?.closeAll();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    })();
    return closing;
  };
  const port = (http.address() as AddressInfo).port;
  return { url: `http://${urlHost(opts.host)}:${port}`, port, activeSessions: () => slots.active(), close };
}

/** Listens on `host:port`; rejects with `ServeError` (a busy port, a bad host). */
function listen(http: Server, host: string, port: number, env: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: Error): void => reject(new ServeError(`Cannot listen on ${host}:${port}: ${err.message}`, { env }, { cause: err }));
    http.once('error', failed);
    http.listen(port, host, () => {
      http.off('error', failed);
      resolve();
    });
  });
}

function isOriginOrStar(value: string): boolean {
  if (value === '*') return true;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

/** The host a client should dial: wildcard binds are reached on loopback; IPv6 needs brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
