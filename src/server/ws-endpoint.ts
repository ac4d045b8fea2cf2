import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SchedulerLike } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { FORBIDDEN_ORIGIN } from './http-handler.js';
import type { ServerContext } from './server-context.js';
import { capacityMessage, type SessionSlots } from './session-slots.js';
import { WsSession } from './ws-session.js';

/** The `/ws` options of `serve` (already validated). */
export interface WsEndpointOptions {
  maxSessions: number;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  pingIntervalMs: number;
  maxQueuedMessages: number;
  closeTimeoutMs: number;
  scheduler?: SchedulerLike | undefined;
}

/**
 * The `WS /ws` side of a server: the upgrade checks (origin, token, path, shutting down), a
 * session slot per socket (one more gets CAPACITY_REACHED, as OpenEnv answers), a `WsSession`
 * per accepted socket, and the shutdown that closes them all (1001) within `closeTimeoutMs`.
 *
 * @example
 * const wsEndpoint = new WsEndpoint(ctx, slots, options);
 * http.on('upgrade', (req, socket, head) => wsEndpoint.upgrade(req, socket, head));
 * await wsEndpoint.close();
 */
export class WsEndpoint {
  private readonly sessions = new Map<WebSocket, WsSession>();
  private readonly wss: WebSocketServer;
  private closing = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly slots: SessionSlots,
    private readonly options: WsEndpointOptions,
  ) {
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxMessageBytes });
  }

  /** An HTTP upgrade request: accepted onto `/ws`, or answered with the HTTP status that refuses it. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    // Browsers send Origin on every upgrade; WebSockets have no CORS, so this is the only guard.
    if (this.ctx.checkOrigin(req.headers) === 'refused') return rejectUpgrade(socket, 403, FORBIDDEN_ORIGIN);
    if (!this.ctx.isAuthorized(req.headers.authorization)) {
      return rejectUpgrade(socket, 401, '{"detail":"Not authenticated"}', 'WWW-Authenticate: Bearer\r\n');
    }
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    if ((query === -1 ? url : url.slice(0, query)) !== '/ws') return rejectUpgrade(socket, 404, '{"detail":"Not Found"}');
    if (this.closing) return rejectUpgrade(socket, 503, '{"detail":"Server shutting down"}');
    this.wss.handleUpgrade(req, socket, head, this.accept);
  }

  private readonly accept = (socket: WebSocket): void => {
    const { slots, options } = this;
    if (this.closing) {
      socket.close(1001, 'Server shutting down');
      return;
    }
    if (!slots.acquire()) {
      socket.on('error', () => undefined);
      const data = { message: capacityMessage(slots), code: 'CAPACITY_REACHED', active_sessions: slots.active(), max_sessions: options.maxSessions };
      socket.send(JSON.stringify({ type: 'error', data }));
      socket.close(1000, '');
      return;
    }
    const session = new WsSession(socket, this.ctx, {
      idleTimeoutMs: options.idleTimeoutMs,
      pingIntervalMs: options.pingIntervalMs,
      maxQueuedMessages: options.maxQueuedMessages,
      ...(options.scheduler && { scheduler: options.scheduler }),
      onEnd: () => {
        slots.release();
        this.sessions.delete(socket);
      },
    });
    this.sessions.set(socket, session);
  };

  /** Refuses new sockets, closes every open one (its env's `close` runs), then the WebSocket server. */
  async close(): Promise<void> {
    this.closing = true;
    const sockets = [...this.wss.clients];
    for (const socket of sockets) {
      const session = this.sessions.get(socket);
      if (session) session.shutdown();
      else if (socket.readyState === socket.OPEN) socket.close(1001, 'Server shutting down');
    }
    await Promise.all(sockets.map((socket) => closedWithin(socket, this.options.closeTimeoutMs)));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** Resolves once the socket has closed, terminating it if the peer does not answer in time. */
function closedWithin(socket: WebSocket, timeoutMs: number): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function rejectUpgrade(socket: Duplex, status: number, body: string, extraHeaders = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extraHeaders}\r\n${body}`,
  );
}
