import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

/** One WS client as the fault server sees it; scripts use it to answer (or not) in any way. */
export interface FaultConnection {
  /** 0 for the first `/ws` connection of this server, 1 for the next, ... */
  readonly index: number;
  /** Text frames received on this socket, in order. */
  readonly received: string[];
  /** Requests (`reset`/`step`/`state`) received and not yet answered. */
  readonly unanswered: number;
  /** `step` frames received on this socket so far (the current one included). */
  readonly steps: number;
  send(frame: unknown): void;
  sendRaw(text: string): void;
  sendBinary(bytes: Buffer): void;
  /** The reply a well-behaved echo server gives to `message`. */
  answer(message: WsRequest): void;
  /** A clean close handshake with `code`. */
  close(code: number, reason?: string): void;
  /** A TCP RST (`socket.resetAndDestroy()`): the client sees a reset, no close frame. */
  reset(): void;
}

/** A parsed client frame (`type` is whatever the client sent). */
export interface WsRequest {
  type: string;
  data?: Record<string, unknown>;
}

export interface HttpRequest {
  method: string;
  path: string;
  body: string;
  headers: IncomingHttpHeaders;
  /** The client's port: requests with the same port came over the same TCP connection. */
  remotePort: number;
  /** 1 for the first request on its TCP connection, 2 for the next (keep-alive reuse), ... */
  onConnection: number;
}

/**
 * A scripted HTTP answer: a status with a body (`close: true` then closes the connection, as
 * uvicorn does after a 500), no answer at all, a TCP reset, or the first bytes of a status line
 * followed by a reset (`reset-mid-response`: the response had begun, its headers never completed).
 */
export type HttpReply = { status: number; contentType?: string; body: string | object; close?: boolean } | 'hang' | 'reset' | 'reset-mid-response';

export interface FaultScript {
  /** Answers a `/ws` frame. Absent: the default echo answer. */
  onMessage?: (message: WsRequest, connection: FaultConnection) => void;
  /** Called once per accepted `/ws` socket, before any frame (e.g. send CAPACITY_REACHED). */
  onConnection?: (connection: FaultConnection) => void;
  /** Answers an HTTP request; `undefined` falls back to the default routes. */
  onHttp?: (request: HttpRequest) => HttpReply | undefined;
  /** Answer for `/ws` upgrades: a status refuses it (e.g. 403 as generation A). Default: accept. */
  upgradeStatus?: number;
}

/** A scriptable OpenEnv-ish server on 127.0.0.1 (random port) that counts what is open on its side. */
export interface FaultServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** TCP connections open on the server side (HTTP keep-alive and WS alike). */
  openConnections(): number;
  /** `/ws` sockets open on the server side. */
  openSockets(): number;
  /** `/ws` connections accepted so far. */
  readonly connections: FaultConnection[];
  /** Every HTTP request, in arrival order. */
  readonly requests: HttpRequest[];
  /** Most requests ever waiting for a reply on one socket (1 for a client that never pipelines). */
  maxUnanswered(): number;
  /** Closes every socket and the listener. Idempotent. */
  close(): Promise<void>;
}

const REPLY_TYPES = new Set(['observation', 'state', 'error']);

/** The default env: echo of generation B, never done. */
function echoReply(message: WsRequest, steps: number): unknown {
  switch (message.type) {
    case 'reset':
      return { type: 'observation', data: { observation: { echoed_message: 'ready', message_length: 0 }, reward: 0, done: false } };
    case 'step': {
      const text = typeof message.data?.['message'] === 'string' ? message.data['message'] : '';
      return { type: 'observation', data: { observation: { echoed_message: text, message_length: text.length }, reward: 0.1 * text.length, done: false } };
    }
    case 'state':
      return { type: 'state', data: { episode_id: null, step_count: steps } };
    default:
      return { type: 'error', data: { message: `Unknown message type: ${message.type}`, code: 'UNKNOWN_TYPE' } };
  }
}

function defaultHttp(request: HttpRequest): Exclude<HttpReply, 'hang' | 'reset'> {
  const route = `${request.method} ${request.path}`;
  if (route === 'GET /health') return { status: 200, body: { status: 'healthy' } };
  if (route === 'GET /schema') return { status: 200, body: { action: {}, observation: {}, state: {} } };
  if (route === 'GET /metadata') return { status: 200, body: { name: 'fault', description: 'fault-injecting test server' } };
  if (route === 'POST /reset') return { status: 200, body: { observation: { echoed_message: 'ready', message_length: 0 }, reward: 0, done: false } };
  if (route === 'POST /step') {
    const action = (JSON.parse(request.body || '{}') as { action?: { message?: string } }).action;
    const text = action?.message ?? '';
    return { status: 200, body: { observation: { echoed_message: text, message_length: text.length }, reward: 0.1 * text.length, done: false } };
  }
  if (route === 'GET /state') return { status: 200, body: { episode_id: null, step_count: 0 } };
  return { status: 404, body: { detail: 'Not Found' } };
}

/**
 * Starts a fault-injecting server: `GET /health`, `/schema`, `/metadata`, `POST /reset`, `/step`,
 * `GET /state` and `WS /ws` answer like a small echo env unless the script says otherwise.
 * Per test the script makes it hang, answer garbage, send frames nobody asked for, close with a
 * code, or reset the TCP connection. Tests assert `openConnections()` drops to 0 to prove the
 * client released everything.
 *
 * @example
 * const server = await startFaultServer({ onMessage: (m, c) => (m.type === 'step' ? undefined : c.answer(m)) }); // hangs on step
 * try { ... } finally { await server.close(); }
 */
export async function startFaultServer(script: FaultScript = {}): Promise<FaultServer> {
  const tcp = new Set<Socket>();
  const wsSockets = new Set<WebSocket>();
  const connections: FaultConnection[] = [];
  const requests: HttpRequest[] = [];
  const perSocket = new WeakMap<Socket, number>();
  let maxUnanswered = 0;
  let closing: Promise<void> | undefined;

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const onConnection = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, onConnection);
      const request: HttpRequest = {
        method: req.method ?? '',
        path: req.url ?? '/',
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
        remotePort: req.socket.remotePort ?? 0,
        onConnection,
      };
      requests.push(request);
      const reply = script.onHttp?.(request) ?? defaultHttp(request);
      if (reply === 'hang') return; // answered by close(): closeAllConnections
      if (reply === 'reset') return void req.socket.resetAndDestroy();
      if (reply === 'reset-mid-response') {
        // Raw bytes, then a reset once they are on the wire: the client has bytes but no response.
        return void req.socket.write('HTTP/1.1 200 OK\r\nContent-Ty', () => req.socket.resetAndDestroy());
      }
      const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' }).end(body);
      if (reply.close) res.once('finish', () => req.socket.destroy());
    });
  });
  http.on('connection', (socket: Socket) => {
    tcp.add(socket);
    socket.once('close', () => tcp.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const refusal = path !== '/ws' ? 404 : script.upgradeStatus;
    if (refusal !== undefined) {
      socket.end(`HTTP/1.1 ${refusal} Refused\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, socket as Socket));
  });

  const accept = (ws: WebSocket, raw: Socket): void => {
    wsSockets.add(ws);
    ws.on('close', () => wsSockets.delete(ws));
    ws.on('error', () => undefined);
    let unanswered = 0;
    let steps = 0;
    const received: string[] = [];
    const sendText = (text: string): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      try {
        if (REPLY_TYPES.has((JSON.parse(text) as { type?: string }).type ?? '')) unanswered = Math.max(0, unanswered - 1);
      } catch {
        unanswered = Math.max(0, unanswered - 1); // garbage counts as the answer it replaced
      }
      ws.send(text);
    };
    const connection: FaultConnection = {
      index: connections.length,
      received,
      get unanswered() {
        return unanswered;
      },
      get steps() {
        return steps;
      },
      send: (frame) => sendText(JSON.stringify(frame)),
      sendRaw: (text) => sendText(text),
      sendBinary: (bytes) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(bytes, { binary: true });
      },
      answer: (message) => sendText(JSON.stringify(echoReply(message, steps))),
      close: (code, reason = '') => ws.close(code, reason),
      reset: () => raw.resetAndDestroy(),
    };
    connections.push(connection);
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${(data as Buffer).length} bytes>` : data.toString();
      received.push(text);
      let message: WsRequest;
      try {
        message = JSON.parse(text) as WsRequest;
      } catch {
        return connection.send({ type: 'error', data: { message: 'Invalid JSON', code: 'INVALID_JSON' } });
      }
      if (message.type === 'close') return ws.close(1000);
      unanswered += 1;
      maxUnanswered = Math.max(maxUnanswered, unanswered);
      if (message.type === 'step') steps += 1;
      if (script.onMessage) script.onMessage(message, connection);
      else connection.answer(message);
    });
    script.onConnection?.(connection);
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    openConnections: () => tcp.size,
    openSockets: () => wsSockets.size,
    connections,
    requests,
    maxUnanswered: () => maxUnanswered,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const ws of wsSockets) ws.terminate();
        wss.close();
        http.close(() => resolve());
        // Hanging requests and upgraded sockets too: nothing may outlive the test.
        for (const socket of tcp) socket.destroy();
      });
      return closing;
    },
  };
}

/**
 * For a `describe` block: returns `start(script)`, which starts a fault server that is closed
 * after the test (one at a time).
 */
export function useFaultServer(): (script?: FaultScript) => Promise<FaultServer> {
  let server: FaultServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return async (script = {}) => {
    server = await startFaultServer(script);
    return server;
  };
}
