import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { firstValueFrom, type Observable, type Subscription } from 'rxjs';
import { ConnectionClosedError, ConnectionError, HttpStatusError, OpenEnvError, ProtocolError, TimeoutError } from '../../src/errors/index.js';
import { mulberry32, type Random } from '../../src/internal/mulberry32.js';
import { openHttpTransport } from '../../src/transport/http-transport.js';
import type { Transport, TransportOptions } from '../../src/transport/transport.js';
import { openWsTransport } from '../../src/transport/ws-transport.js';
import { grownHandles, activeHandles } from '../faults/support/active-handles.js';
import { installFaultGuards } from '../faults/support/fault-guards.js';

/**
 * A seeded hostile server for the client: oversized bodies and frames, deep JSON, slow trickles
 * (slowloris: headers or a frame a byte at a time), wrong content types, replies to ids never
 * sent, unsolicited frames and closes mid-frame, over HTTP and `/ws`. The client must fail each
 * request with the expected typed error within its timeouts, and leave nothing behind: no open
 * connection on the server, no handle in this process, no unhandled rejection.
 */
const SEED = Number(process.env['OPENENV_RX_FUZZ_SEED'] ?? 7_122_026);
const LIMIT = 64 * 1024;
const REPLY_MS = 1_000;
const CONNECT_MS = 1_000;
const SLACK_MS = 4_000; // a loaded machine: timers fire late, never early
const OPTIONS: TransportOptions = { maxMessageBytes: LIMIT, replyTimeoutMs: REPLY_MS, connectTimeoutMs: CONNECT_MS, keepalive: false };
const TRICKLE_BYTES = 200; // a trickle stops by itself after this many bytes (bounded)

type ErrorClass = abstract new (...args: never[]) => OpenEnvError;
interface Case {
  name: string;
  transport: 'http' | 'ws';
  request: 'step' | 'mcp' | 'open';
  expected: ErrorClass[];
  /** How the server answers the client's request (HTTP) or its first frame (WS). */
  http?: (res: ServerResponse, rand: Random) => void;
  ws?: (socket: Socket, rand: Random) => void;
  /** Answer for the WS upgrade itself; default: a correct 101. */
  upgrade?: (socket: Socket, key: string) => void;
  /** A WS frame sent right after the handshake, before any request. */
  greet?: (socket: Socket) => void;
}

const deepJson = (depth: number) => `{"observation":{"x":${'['.repeat(depth)}${']'.repeat(depth)}},"reward":0,"done":false}`;

/** A server-to-client WebSocket frame (unmasked), written raw. */
function frame(payload: Buffer | string, opcode = 1, fin = true): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = body.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, len]) : len < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126) {
    head[0] = (fin ? 0x80 : 0) | opcode;
    if (len < 65_536) {
      head[1] = 126;
      head.writeUInt16BE(len, 2);
    } else {
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
  }
  return Buffer.concat([head, body]);
}

function handshake(socket: Socket, key: string): void {
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
}

/** Writes `bytes` one at a time, every `everyMs`, until done or the peer left. */
function trickle(stream: { write(b: Buffer): unknown; destroyed: boolean }, bytes: Buffer, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (stream.destroyed || i >= bytes.length) return clearInterval(timer);
    stream.write(bytes.subarray(i, ++i));
  }, everyMs);
}

const CASES: Case[] = [
  // --- HTTP ---
  {
    name: 'http: oversized declared body',
    transport: 'http', request: 'step', expected: [ProtocolError],
    http: (res, rand) => {
      const big = `{"observation":{"pad":"${'x'.repeat(LIMIT + 1 + Math.floor(rand() * LIMIT))}"},"reward":0,"done":false}`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) });
      res.end(big);
    },
  },
  {
    name: 'http: oversized chunked body',
    transport: 'http', request: 'step', expected: [ProtocolError],
    http: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(8 * 1024, 0x20);
      for (let i = 0; i < (LIMIT / chunk.length) * 4 && !res.destroyed; i++) res.write(chunk); // bounded
      res.end();
    },
  },
  {
    name: 'http: deep JSON',
    transport: 'http', request: 'step', expected: [ProtocolError],
    http: (res, rand) => {
      const body = deepJson(300 + Math.floor(rand() * 20_000));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  },
  {
    name: 'http: slow trickle of the body (slowloris)',
    transport: 'http', request: 'step', expected: [TimeoutError],
    http: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      trickle(res as unknown as { write(b: Buffer): unknown; destroyed: boolean }, Buffer.from(`{"observation":{"pad":"${' '.repeat(TRICKLE_BYTES)}"}}`), 100);
    },
  },
  {
    name: 'http: slow trickle of the status line and headers',
    transport: 'http', request: 'step', expected: [TimeoutError],
    http: (res) => {
      const socket = res.socket!;
      trickle(socket, Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-pad: ${'p'.repeat(TRICKLE_BYTES)}\r\n\r\n{}`), 100);
    },
  },
  {
    name: 'http: wrong content type',
    transport: 'http', request: 'step', expected: [ProtocolError],
    http: (res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Welcome to nginx!</body></html>');
    },
  },
  {
    name: 'http: close mid-body',
    transport: 'http', request: 'step', expected: [ConnectionError],
    http: (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
      res.write('{"observation":');
      setImmediate(() => res.socket?.destroy());
    },
  },
  {
    name: 'http: not HTTP at all',
    transport: 'http', request: 'step', expected: [ConnectionError],
    http: (res) => {
      res.socket?.end('SSH-2.0-OpenSSH_9.2\r\n');
    },
  },
  // --- WS ---
  {
    name: 'ws: oversized frame',
    transport: 'ws', request: 'step', expected: [ProtocolError],
    ws: (socket, rand) => socket.write(frame(`{"type":"observation","data":{"pad":"${'x'.repeat(LIMIT + Math.floor(rand() * 1000))}"}}`)),
  },
  {
    name: 'ws: deep JSON frame',
    transport: 'ws', request: 'step', expected: [ProtocolError],
    ws: (socket, rand) => socket.write(frame(`{"type":"observation","data":${deepJson(300 + Math.floor(rand() * 20_000))}}`)),
  },
  {
    name: 'ws: binary frame',
    transport: 'ws', request: 'step', expected: [ProtocolError],
    ws: (socket) => socket.write(frame(Buffer.from('{"type":"observation","data":{"observation":{},"reward":0,"done":false}}'), 2)),
  },
  {
    name: 'ws: a reply to a JSON-RPC id never sent',
    transport: 'ws', request: 'mcp', expected: [ProtocolError],
    ws: (socket) => socket.write(frame('{"type":"mcp","data":{"jsonrpc":"2.0","id":987654,"result":{"tools":[]}}}')),
  },
  {
    name: 'ws: a state frame answering a step',
    transport: 'ws', request: 'step', expected: [ProtocolError],
    ws: (socket) => socket.write(frame('{"type":"state","data":{"episode_id":null,"step_count":0}}')),
  },
  {
    name: 'ws: an unsolicited frame before any request',
    transport: 'ws', request: 'step', expected: [ProtocolError, ConnectionClosedError],
    greet: (socket) => socket.write(frame('{"type":"observation","data":{"observation":{},"reward":0,"done":false}}')),
    ws: () => undefined,
  },
  {
    name: 'ws: close mid-frame',
    transport: 'ws', request: 'step', expected: [ConnectionClosedError, ConnectionError],
    ws: (socket) => {
      socket.write(frame('{"type":"observation","data":{"observation":{},"reward":0,"done":false}}').subarray(0, 20));
      setImmediate(() => socket.destroy());
    },
  },
  {
    name: 'ws: slow trickle of a frame',
    transport: 'ws', request: 'step', expected: [TimeoutError],
    ws: (socket) => trickle(socket, frame(`{"type":"observation","data":{"observation":{"pad":"${' '.repeat(TRICKLE_BYTES)}"},"reward":0,"done":false}}`), 100),
  },
  {
    name: 'ws: a fragmented reply that never finishes',
    transport: 'ws', request: 'step', expected: [TimeoutError],
    ws: (socket) => socket.write(frame('{"type":"observation",', 1, false)),
  },
  {
    name: 'ws: the handshake never answered',
    transport: 'ws', request: 'open', expected: [TimeoutError],
    upgrade: () => undefined,
  },
  {
    name: 'ws: the upgrade answered with an HTML page',
    transport: 'ws', request: 'open', expected: [HttpStatusError, ConnectionError, ProtocolError],
    upgrade: (socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 13\r\n\r\n<html></html>'),
  },
];

describe('hostile server fuzzer: the client fails typed, in time, and leaks nothing', () => {
  installFaultGuards();
  let server: Server;
  let url: string;
  let current: Case;
  let rand: Random;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      if (!current.http) {
        res.writeHead(404);
        return void res.end();
      }
      current.http(res, rand);
    });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      // HTTP server sockets allow half-open connections: once the client has closed its side, close ours.
      socket.once('end', () => socket.destroy());
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('upgrade', (req: IncomingMessage, duplex: Duplex) => {
      const socket = duplex as Socket;
      const key = String(req.headers['sec-websocket-key']);
      if (current.upgrade) return current.upgrade(socket, key);
      handshake(socket, key);
      current.greet?.(socket);
      // The client's first frame is its request: answer it the hostile way.
      socket.once('data', () => current.ws?.(socket, rand));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Opens the transport (one subscription) and makes the case's request; resolves with what it ended with. */
  async function attempt(c: Case): Promise<unknown> {
    const open$: Observable<Transport> = c.transport === 'http' ? openHttpTransport(url, OPTIONS) : openWsTransport(url, OPTIONS);
    let subscription: Subscription | undefined;
    const opened = new Promise<Transport>((resolve, reject) => {
      subscription = open$.subscribe({ next: resolve, error: reject });
    });
    try {
      const transport = await opened;
      if (c.request === 'open') return 'opened';
      const request: Observable<unknown> = c.request === 'mcp' ? transport.mcp!('tools/list') : transport.step({ a: 1 });
      return await firstValueFrom(request).then((value) => ({ value }), (error: unknown) => error);
    } catch (error) {
      return error;
    } finally {
      subscription?.unsubscribe();
    }
  }

  it(`every case (seeded order ${SEED}) fails with its typed error within the timeouts`, async () => {
    rand = mulberry32(SEED);
    const order = [...CASES].sort(() => rand() - 0.5);
    const handlesBefore = activeHandles();
    const seen: string[] = [];
    for (const c of order) {
      current = c;
      const started = Date.now();
      const outcome = await attempt(c);
      const ms = Date.now() - started;
      const ok = c.expected.some((cls) => outcome instanceof cls);
      // Each case cleans up after itself: the server sees every connection of it closed.
      for (let i = 0; i < 100 && sockets.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      if (sockets.size > 0) seen.push(`${c.name}: ${sockets.size} connection(s) left open`);
      seen.push(`${c.name}: ${ok ? 'typed' : `UNEXPECTED ${outcome instanceof Error ? `${outcome.constructor.name}: ${outcome.message}` : JSON.stringify(outcome)?.slice(0, 200)}`}${ms > REPLY_MS + CONNECT_MS + SLACK_MS ? ` after ${ms} ms` : ''}`);
    }
    expect(seen.filter((line) => !line.endsWith(': typed'))).toEqual([]);
    // Nothing left open: the client closed every connection it made, and holds no handle.
    for (let i = 0; i < 100 && sockets.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sockets.size).toBe(0);
    // Sockets, servers and timers: what a client can leak. (A jest worker may open a stdio pipe
    // of its own mid-test, which no HTTP or WebSocket client creates.)
    expect(grownHandles(handlesBefore).filter((grown) => !grown.startsWith('PipeWrap'))).toEqual([]);
  }, 120_000);
});
