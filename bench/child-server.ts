import { fileURLToPath } from 'node:url';
import type { Subscription } from 'rxjs';
import { processEndpoint } from '../src/runtime/process-endpoint.js';
import { onCleanup } from './cleanup.js';

/** A server running in its own process, so that client and server CPU are not mixed up. */
export interface ChildServer {
  url: string;
  /** The server process's pid (to read its CPU time and memory from /proc). */
  pid: number;
  /** Stops the process group (SIGTERM, then SIGKILL) and resolves once it is gone. */
  stop(): Promise<void>;
}

/** The built-in server, compiled into dist-bench/ by the same `tsc` run as the bench itself. */
export const BUILTIN_SERVER = fileURLToPath(new URL('../src/server/serve-builtin.js', import.meta.url));
/** The minimal `ws` server the server section compares ours against. */
export const BARE_SERVER = fileURLToPath(new URL('./bare-ws-server.js', import.meta.url));

/**
 * Spawns `node <script> ...args` on a free 127.0.0.1 port through the library's own
 * `processEndpoint` (PORT set, /health polled), and registers its stop with the bench cleanup.
 */
export function startChildServer(script: string, args: string[], env: Record<string, string> = {}): Promise<ChildServer> {
  return new Promise<ChildServer>((resolve, reject) => {
    let stopped!: () => void;
    const gone = new Promise<void>((done) => (stopped = done));
    const endpoint$ = processEndpoint(process.execPath, [script, ...args], {
      env: { MAX_CONCURRENT_ENVS: '16', ...env },
      startTimeoutMs: 20_000,
      healthIntervalMs: 20,
      onStopped: () => stopped(),
    });
    let subscription: Subscription | undefined;
    const stop = onCleanup(async () => {
      subscription?.unsubscribe();
      await gone;
    });
    subscription = endpoint$.subscribe({
      next: (endpoint) => resolve({ url: endpoint.url, pid: Number(endpoint.id), stop }),
      error: (error: unknown) => {
        void stop();
        reject(error);
      },
    });
  });
}
