import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';
import { flushSockets } from './flush-sockets.js';
import { loadTranscript, type HttpExchange, type WsExchange } from './transcripts.js';

/** A test peer that answers exactly as the recorded OpenEnv servers did (see startReplayServer). */
export interface ReplayServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** WS sockets currently open on the server side. */
  openSockets(): number;
  /** WS connections accepted so far (capacity refusals included). */
  totalSockets: number;
  /** Every request body and WS frame that reached it, in arrival order (`method`/`headers` on HTTP). */
  received: Array<{ kind: 'http' | 'ws'; path: string; body: string; method?: string; headers?: IncomingHttpHeaders }>;
  /** Every WS upgrade request (accepted or refused) with its headers. */
  upgrades: Array<{ path: string; headers: IncomingHttpHeaders }>;
  /** Requests it had no recording for (tests should assert this is empty). */
  mismatches: string[];
  /** Replies held back by the `hold` option, not yet released. */
  held(): number;
  /** Sends up to `count` held replies (all by default), oldest first. */
  release(count?: number): void;
  /**
   * Pings every open WS socket and resolves once each answered: every frame a client sent
   * before that is in `received` by then (WS frames, pings included, travel in order). A gate
   * for "nothing else was sent" checks, instead of a sleep.
   */
  flush(): Promise<void>;
  /** Closes the server and every socket. */
  close(): Promise<void>;
}

export interface ReplayServerOptions {
  /** HTTP transcript file name, e.g. `grid_world_env.jsonl`. */
  http?: string;
  /** WS transcript file name, e.g. `grid_world_env-ws.jsonl`; absent → the `/ws` upgrade answers 403 (generation A). */
  ws?: string;
  /** Max concurrent WS sessions; a socket beyond it gets the recorded CAPACITY_REACHED frame, then close 1000. */
  capacity?: number;
  /** Delays every reply. Prefer `hold`: a delay races the client's timers on a loaded machine. */
  replyDelayMs?: number;
  /** Replies to the requests it matches wait until `release()` (a gate the test opens). */
  hold?: (request: { kind: 'http' | 'ws'; path: string; body: string }) => boolean;
}

const CAPACITY_TRANSCRIPT = 'ws-capacity@685de411.jsonl';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Does a received HTTP body match a recorded one? Raw rows compare strings; a null body matches an
 * empty one; JSON compares deep-equal. The client's generated `request_id` on `/step` is ignored when
 * the recording has none (no recording can predict a fresh uuid).
 */
function httpBodyMatches(row: HttpExchange, body: string): boolean {
  if (row.request_body_raw) return body === row.request_body;
  if (row.request_body === null) return body === '';
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return false;
  }
  if (row.path === '/step' && isObject(json) && isObject(row.request_body) && !('request_id' in row.request_body)) {
    const { request_id: _ignored, ...rest } = json;
    json = rest;
  }
  return isDeepStrictEqual(withoutRpcId(json), withoutRpcId(row.request_body));
}

/** JSON-RPC ids are compared loosely (any client numbers its requests its own way): both sides without `id`. */
const withoutRpcId = (value: unknown): unknown => {
  if (!isObject(value)) return value;
  if (value['type'] === 'mcp' && isObject(value['data'])) {
    const { id: _id, ...data } = value['data'];
    return { ...value, data };
  }
  if (value['jsonrpc'] === '2.0') {
    const { id: _id, ...rest } = value;
    return rest;
  }
  return value;
};

/** The recorded reply, carrying the id the client actually sent (the one it matches replies by). */
function withClientRpcId(recv: unknown, sent: unknown): unknown {
  const sentData = isObject(sent) && sent['type'] === 'mcp' && isObject(sent['data']) ? sent['data'] : isObject(sent) && sent['jsonrpc'] === '2.0' ? sent : undefined;
  if (!sentData || !('id' in sentData) || !isObject(recv)) return recv;
  if (recv['type'] === 'mcp' && isObject(recv['data']) && recv['data']['id'] !== null) return { ...recv, data: { ...recv['data'], id: sentData['id'] } };
  if (recv['jsonrpc'] === '2.0' && recv['id'] !== null) return { ...recv, id: sentData['id'] };
  return recv;
}

function wsFrameMatches(row: WsExchange, text: string, json: unknown, isJson: boolean): boolean {
  if (row.send_raw) return text === row.send;
  return isJson && isDeepStrictEqual(withoutRpcId(json), withoutRpcId(row.send));
}

const asPayload = (body: unknown, verbatim: boolean): string =>
  typeof body === 'string' && verbatim ? body : JSON.stringify(body);

/**
 * Starts a replay server on 127.0.0.1 (random port). HTTP requests are matched by method, path and
 * body (first least-used matching row, so repeated rows are used in order, then reused); WS frames
 * per connection by a cursor moving forward through the WS transcript. Anything unmatched goes to
 * `mismatches` (HTTP answers 501, WS closes with 1011).
 *
 * @example
 * const server = await startReplayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl' });
 * try { ...connect to server.url... } finally { await server.close(); }
 */
export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const httpRows = options.http
    ? loadTranscript<HttpExchange>(options.http).filter((row) => !row.path.includes(' ')) // drop the "/ws (Upgrade)" note row
    : [];
  const httpUses = httpRows.map(() => 0);
  const wsRows = options.ws ? loadTranscript<WsExchange>(options.ws) : undefined;
  const capacityRow = loadTranscript<WsExchange>(CAPACITY_TRANSCRIPT).find((row) => row['unsolicited_recv']);
  const delay = options.replyDelayMs ?? 0;
  const timers = new Set<NodeJS.Timeout>();
  const heldReplies: Array<() => void> = [];
  const sockets = new Set<WebSocket>();
  const sessions = new Set<WebSocket>();

  const later = (fn: () => void, request?: { kind: 'http' | 'ws'; path: string; body: string }): void => {
    if (request && options.hold?.(request)) {
      heldReplies.push(fn);
      return;
    }
    if (delay <= 0) return fn();
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, delay);
    timers.add(timer);
  };

  const replay: ReplayServer = {
    url: '',
    openSockets: () => sockets.size,
    totalSockets: 0,
    received: [],
    upgrades: [],
    mismatches: [],
    held: () => heldReplies.length,
    release: (count = Infinity) => {
      for (let i = 0; i < count && heldReplies.length > 0; i++) heldReplies.shift()!();
    },
    flush: () => flushSockets(sockets),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      heldReplies.length = 0;
      for (const socket of sockets) socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const answerHttp = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const path = req.url ?? '/';
    replay.received.push({ kind: 'http', path, body, method: req.method ?? '', headers: req.headers });
    let best = -1;
    httpRows.forEach((row, index) => {
      if (row.method !== req.method || row.path !== path || !httpBodyMatches(row, body)) return;
      if (best < 0 || httpUses[index]! < httpUses[best]!) best = index;
    });
    const row = best >= 0 ? httpRows[best] : undefined;
    const request = { kind: 'http' as const, path, body };
    later(() => {
      if (res.destroyed) return;
      if (!row) {
        replay.mismatches.push(`HTTP ${req.method} ${path} ${body}`);
        res.writeHead(501, { 'content-type': 'text/plain' }).end('replay-server: no recording for this request');
        return;
      }
      httpUses[best]! += 1;
      let sent: unknown;
      try {
        sent = JSON.parse(body);
      } catch {
        sent = undefined;
      }
      const reply = row.request_body_raw ? row.response_body : withClientRpcId(row.response_body, sent);
      res.writeHead(row.status, { 'content-type': row.content_type }).end(asPayload(reply, true));
    }, request);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => answerHttp(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  // Real OpenEnv servers (uvicorn) accept permessage-deflate, so the replay does too.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true });

  const refuseUpgrade = (socket: Duplex, status: string): void => {
    socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = req.url ?? '/';
    replay.upgrades.push({ path, headers: req.headers });
    if (new URL(path, 'http://127.0.0.1').pathname !== '/ws') {
      replay.mismatches.push(`WS upgrade on ${path}`);
      return refuseUpgrade(socket, '404 Not Found');
    }
    if (!wsRows) return refuseUpgrade(socket, '403 Forbidden'); // generation A, as recorded
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws, wsRows));
  });

  const onSocket = (ws: WebSocket, rows: WsExchange[]): void => {
    replay.totalSockets += 1;
    sockets.add(ws);
    ws.on('close', () => {
      sockets.delete(ws);
      sessions.delete(ws);
    });
    ws.on('error', () => undefined); // a client that vanishes mid-frame is not the replay's problem

    if (options.capacity !== undefined && sessions.size >= options.capacity) {
      // As recorded: the handshake completes (101), then an unsolicited CAPACITY_REACHED and close 1000.
      const close = capacityRow?.recv_close ?? { code: 1000, reason: '' };
      ws.send(JSON.stringify(capacityRow?.['unsolicited_recv']));
      ws.close(close.code, close.reason);
      return;
    }
    sessions.add(ws);

    let cursor = 0;
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${(data as Buffer).length} bytes>` : data.toString();
      replay.received.push({ kind: 'ws', path: '/ws', body: text });
      let json: unknown;
      let isJson = !isBinary;
      try {
        json = JSON.parse(text);
      } catch {
        isJson = false;
      }
      if (isJson && isDeepStrictEqual(json, { type: 'close' })) {
        // The server closes with what was recorded after {"type":"close"} (no reply frame).
        const closeAt = rows.findIndex((row, i) => i >= cursor && row.recv_close);
        const recorded = closeAt >= 0 ? rows[closeAt]!.recv_close! : { code: 1000, reason: '' };
        later(() => ws.close(recorded.code, recorded.reason));
        return;
      }
      for (let i = cursor; i < rows.length; i++) {
        const row = rows[i]!;
        if (!('send' in row) || !wsFrameMatches(row, text, json, isJson)) continue;
        cursor = i + 1;
        const payload = asPayload(row.recv_raw ? row.recv : withClientRpcId(row.recv, json), row.recv_raw === true);
        later(
          () => {
            if (ws.readyState === WebSocket.OPEN) ws.send(payload);
          },
          { kind: 'ws', path: '/ws', body: text },
        );
        return;
      }
      replay.mismatches.push(`WS ${text}`);
      ws.close(1011, 'replay-server: no recording');
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  replay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return replay;
}
