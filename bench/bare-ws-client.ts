import WebSocket, { type RawData } from 'ws';
import { onCleanup } from './cleanup.js';

/** The least a `/ws` client can do per step: serialise the action, send, parse the reply. */
export interface BareWsClient {
  /** `n` sequential steps; per-step latency (ms) goes to `latencies[0..n)` when given. Resolves with `n`. */
  steps(n: number, latencies?: Float64Array): Promise<number>;
  close(): Promise<void>;
}

/** `http://host:port` → `ws://host:port/ws`. */
export const wsUrlOf = (url: string): string => `${url.replace(/^http/, 'ws')}/ws`;

/**
 * A bare `ws` client on one socket: the baseline every WS figure is a ratio against. Same frames
 * as openenv-rx sends (`{"type":"step","data":<action>}`, permessage-deflate off as openenv-rx
 * defaults), nothing else: no validation, no Observables, one callback per reply.
 */
export function openBareWsClient(url: string, action: Record<string, unknown>): Promise<BareWsClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrlOf(url), { perMessageDeflate: false });
    let onReply: ((data: RawData) => void) | undefined;
    let onFailure: ((error: Error) => void) | undefined;
    const close = onCleanup(
      () =>
        new Promise<void>((done) => {
          if (socket.readyState === WebSocket.CLOSED) return done();
          socket.once('close', () => done());
          if (socket.readyState === WebSocket.OPEN) {
            socket.send('{"type":"close"}');
            socket.close(1000);
          } else socket.terminate();
          setTimeout(() => socket.terminate(), 1000).unref();
        }),
    );
    socket.on('message', (data) => onReply?.(data));
    socket.on('error', (error) => (onFailure ? onFailure(error) : reject(error)));
    socket.on('close', (code) => onFailure?.(new Error(`bare ws client: socket closed (${code})`)));
    socket.once('open', () =>
      resolve({
        close,
        steps: (n, latencies) =>
          new Promise<number>((done, fail) => {
            let left = n;
            let sentAt = 0;
            onFailure = fail;
            const send = (): void => {
              sentAt = performance.now();
              socket.send(JSON.stringify({ type: 'step', data: action }));
            };
            onReply = (data) => {
              const reply = JSON.parse(data.toString()) as { type?: unknown };
              if (reply.type !== 'observation') return fail(new Error(`bare ws client: unexpected reply ${data.toString().slice(0, 200)}`));
              if (latencies) latencies[n - left] = performance.now() - sentAt;
              if (--left === 0) {
                onReply = undefined;
                onFailure = undefined;
                return done(n);
              }
              send();
            };
            if (n <= 0) return done(0);
            send();
          }),
      }),
    );
  });
}
