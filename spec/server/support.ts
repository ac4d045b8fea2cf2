import { WebSocket, type ClientOptions } from 'ws';
import type { RunningServer } from '../../src/server/serve.js';

/** A raw `ws` client that queues frames so a test can await them one by one (bounded in time). */
export interface TestSocket {
  socket: WebSocket;
  /** The next text frame, parsed; rejects after `timeoutMs` or if the socket closes first. */
  next(timeoutMs?: number): Promise<unknown>;
  /** Resolves with the close code/reason (rejects after `timeoutMs`). */
  closed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  sendJson(value: unknown): void;
  sendRaw(text: string): void;
  /** Frames received and not yet consumed by `next`. */
  pending(): number;
}

export function openSocket(url: string, options: ClientOptions = {}): Promise<TestSocket> {
  const socket = new WebSocket(url.replace(/^http/, 'ws') + '/ws', { perMessageDeflate: false, ...options });
  const frames: unknown[] = [];
  const waiters: Array<(frame: unknown) => void> = [];
  let closeInfo: { code: number; reason: string } | undefined;
  const closeWaiters: Array<() => void> = [];
  socket.on('message', (data) => {
    const frame: unknown = JSON.parse(String(data));
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  socket.on('close', (code, reason) => {
    closeInfo = { code, reason: reason.toString() };
    for (const w of closeWaiters.splice(0)) w();
  });
  const api: TestSocket = {
    socket,
    next(timeoutMs = 10_000) {
      if (frames.length) return Promise.resolve(frames.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
        const settle = (frame: unknown): void => {
          clearTimeout(timer);
          resolve(frame);
        };
        waiters.push(settle);
        const onClose = (): void => {
          const index = waiters.indexOf(settle);
          if (index >= 0) {
            waiters.splice(index, 1);
            clearTimeout(timer);
            reject(new Error(`socket closed (${closeInfo?.code}) before a frame arrived`));
          }
        };
        if (closeInfo) onClose();
        else closeWaiters.push(onClose);
      });
    },
    closed(timeoutMs = 10_000) {
      if (closeInfo) return Promise.resolve(closeInfo);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
        closeWaiters.push(() => {
          clearTimeout(timer);
          resolve(closeInfo!);
        });
      });
    },
    sendJson: (value) => socket.send(JSON.stringify(value)),
    sendRaw: (text) => socket.send(text),
    pending: () => frames.length,
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(api));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

/** Tracks what a test starts so `afterEach` can close it all. */
export class Cleanup {
  private readonly servers: RunningServer[] = [];
  private readonly sockets: WebSocket[] = [];

  server<T extends RunningServer>(server: T): T {
    this.servers.push(server);
    return server;
  }

  socket<T extends TestSocket>(socket: T): T {
    this.sockets.push(socket.socket);
    return socket;
  }

  async run(): Promise<void> {
    for (const socket of this.sockets.splice(0)) socket.terminate();
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }
}

/** Replaces every `episode_id` string by a marker: OpenEnv's are random uuids. */
export function maskEpisodeIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskEpisodeIds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = key === 'episode_id' && typeof v === 'string' ? '<episode-id>' : maskEpisodeIds(v);
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
