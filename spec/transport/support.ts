import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, Subscription, type Observable } from 'rxjs';
import { WebSocket, WebSocketServer } from 'ws';
import type { Transport } from '../../src/transport/transport.js';
import { normalizeReward } from '../../src/protocol/reward.js';
import type { HttpExchange } from '../helpers/transcripts.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { flushSockets } from '../helpers/flush-sockets.js';

/** Subscribes to a transport Observable and resolves with the first transport plus its subscription. */
export function connect(open$: Observable<Transport>): Promise<{ transport: Transport; subscription: Subscription }> {
  const subscription = new Subscription();
  return new Promise((resolve, reject) => {
    subscription.add(open$.subscribe({ next: (transport) => resolve({ transport, subscription }), error: reject }));
  });
}

/** The error an Observable fails with (fails the test if it emits first). */
export async function errorOf(source: Observable<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await firstValueFrom(source);
  } catch (error) {
    return error;
  }
  throw new Error(`expected an error, got ${JSON.stringify(value)}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the transport must emit for a recorded 2xx reset/step answer. */
export function expectedStepResult(body: unknown): unknown {
  const { observation, reward, done } = body as { observation: unknown; reward: number | boolean | null; done: boolean };
  return { observation, reward: normalizeReward(reward), done };
}

/** An HTTP server that answers every request with one recorded row (for bodies the typed API cannot send). */
export interface CannedHttpServer {
  url: string;
  requests: Array<{ method: string; path: string; body: string; headers: IncomingHttpHeaders }>;
  /** `'hold'`: every answer waits until `release()` (a gate the test opens; never a timer race). */
  respondWith(row: Pick<HttpExchange, 'status' | 'content_type' | 'response_body'>, delayMs?: number | 'hold'): void;
  /** Answers up to `count` held requests (all by default), oldest first. */
  release(count?: number): void;
  /** Requests held and not answered yet. */
  held(): number;
  /** The most requests ever held at once (1 for a client that never overlaps requests). */
  maxHeld: number;
  /** Requests the client abandoned before the answer was written. */
  aborted: number;
  close(): Promise<void>;
}

export async function startCannedHttpServer(): Promise<CannedHttpServer> {
  let row: Pick<HttpExchange, 'status' | 'content_type' | 'response_body'> = { status: 200, content_type: 'application/json', response_body: {} };
  let delay: number | 'hold' = 0;
  const timers = new Set<NodeJS.Timeout>();
  const held: Array<() => void> = [];
  const canned: CannedHttpServer = {
    url: '',
    requests: [],
    aborted: 0,
    maxHeld: 0,
    respondWith(next, delayMs = 0) {
      row = next;
      delay = delayMs;
    },
    release(count = Infinity) {
      for (let i = 0; i < count && held.length > 0; i++) held.shift()!();
    },
    held: () => held.length,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      held.length = 0;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      canned.requests.push({ method: req.method ?? '', path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      const answer = row;
      const send = (): void => {
        if (res.destroyed || res.writableEnded) return;
        const body = typeof answer.response_body === 'string' ? answer.response_body : JSON.stringify(answer.response_body);
        res.writeHead(answer.status, { 'content-type': answer.content_type }).end(body);
      };
      res.on('close', () => {
        if (!res.writableEnded) canned.aborted += 1;
      });
      if (delay === 'hold') {
        held.push(send);
        canned.maxHeld = Math.max(canned.maxHeld, held.length);
        return;
      }
      if (delay <= 0) return send();
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, delay);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  canned.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return canned;
}

/** A tiny WS server on `/ws` whose behaviour each test scripts (garbage, binary, unsolicited, oversize frames). */
export interface ScriptedWsServer {
  url: string;
  sockets: Set<WebSocket>;
  received: string[];
  /** Pings every open socket and resolves once each answered: every frame sent before is in `received`. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function startScriptedWsServer(script: {
  onConnection?: (ws: WebSocket) => void;
  onMessage?: (ws: WebSocket, text: string) => void;
}): Promise<ScriptedWsServer> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, path: '/ws' });
  const scripted: ScriptedWsServer = {
    url: '',
    sockets: new Set(),
    received: [],
    flush: () => flushSockets(scripted.sockets),
    async close() {
      for (const socket of scripted.sockets) socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  wss.on('connection', (ws) => {
    scripted.sockets.add(ws);
    ws.on('close', () => scripted.sockets.delete(ws));
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const text = data.toString();
      scripted.received.push(text);
      script.onMessage?.(ws, text);
    });
    script.onConnection?.(ws);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  scripted.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return scripted;
}

/** Sends one frame on a fresh bare `ws` socket and resolves with the first reply (or the close code). */
export function bareWsExchange(baseUrl: string, frame: string, timeoutMs = 2_000): Promise<{ reply?: string; closeCode?: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no reply to ${frame} within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (result: { reply?: string; closeCode?: number }): void => {
      clearTimeout(timer);
      socket.terminate();
      resolve(result);
    };
    socket.on('open', () => socket.send(frame));
    socket.on('message', (data) => finish({ reply: data.toString() }));
    socket.on('close', (code) => finish({ closeCode: code }));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Per-test cleanup for a `describe` block: `cleanups` run after each test, last first, and
 * `replayServer` starts a replay server that is closed afterwards with no unmatched request.
 */
export function useTestCleanups(): {
  cleanups: Array<() => unknown>;
  replayServer(options: Parameters<typeof startReplayServer>[0]): Promise<ReplayServer>;
} {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    cleanups,
    async replayServer(options) {
      const server = await startReplayServer(options);
      cleanups.push(async () => {
        await server.close();
        expect(server.mismatches).toEqual([]);
      });
      return server;
    },
  };
}
