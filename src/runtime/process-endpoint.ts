import { spawn, type ChildProcess } from 'node:child_process';
import { NEVER, Observable, defer, from, map, mergeMap, race, switchMap, throwError, timeout } from 'rxjs';
import { InvalidOptionError, markPermanent, ServerExitedError, TimeoutError, type OpenEnvError, type ErrorContext } from '../errors/index.js';
import { assertFunction, assertInteger } from '../internal/assert-option.js';
import type { Endpoint } from './endpoint.js';
import { freePort } from './process/free-port.js';
import { LineTail } from './process/line-tail.js';
import { sweepOrphanProcessesOnce } from './process/reap-processes.js';
import { stopProcessGroup } from './process/stop-process-group.js';
import { trackProcessGroup } from './process/track-process-group.js';
import { reportTeardownError, type TeardownErrorHandler } from './report-teardown-error.js';
import { trackTeardown } from './teardown-registry.js';
import { normalizeServerUrl } from './url-endpoint.js';
import { waitHealthy } from './wait-healthy.js';

/** Options of `processEndpoint` and `Env.fromProcess`: port, environment, working directory, start and stop timeouts. */
export interface ProcessEndpointOptions {
  /**
   * Port the server listens on. 0 or absent: a free port is picked by binding 127.0.0.1:0 first
   * (a small race: another process may grab it before the server binds; the start then fails
   * with the server's exit and log tail). It replaces `{port}` in args and is set as `PORT`.
   */
  port?: number;
  /** Extra environment, over `process.env`. */
  env?: Record<string, string>;
  cwd?: string;
  /** Spawn to healthy. Default 60 000 ms; then `TimeoutError` phase `start`. */
  startTimeoutMs?: number;
  /** Pause between `/health` probes. Default 50 ms. */
  healthIntervalMs?: number;
  /** SIGTERM to SIGKILL. Default 2 000 ms. */
  stopGraceMs?: number;
  /** Base URL when the server is not at `http://127.0.0.1:<port>`; `{port}` is substituted. */
  url?: string;
  /** Lines of output kept for `ServerExitedError`. Default 50. */
  logTailLines?: number;
  /** Stop errors go here. Default: `process.emitWarning`. */
  onTeardownError?: TeardownErrorHandler;
  /** Called once the process group is gone (or was never spawned) after unsubscribe, complete or error. */
  onStopped?: (info: { pid?: number }) => void;
  /** Stop the groups that dead openenv-rx processes left behind, once per process at the first start. Default true. */
  reap?: boolean;
  /**
   * Directory of the process registry (where each live group is recorded for the reaper).
   * Default `$OPENENV_RX_STATE_DIR`, else `<tmpdir>/openenv-rx-<uid>`.
   */
  stateDir?: string;
}

/** Checks `processEndpoint`'s arguments; throws `InvalidOptionError` naming the first bad one. */
function assertProcessEndpointArgs(command: unknown, args: unknown, options: ProcessEndpointOptions): void {
  if (typeof command !== 'string' || command.length === 0) throw new InvalidOptionError('command', command, 'a non-empty command');
  if (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string')) throw new InvalidOptionError('args', args, 'an array of strings');
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', options, 'an object');
  assertInteger('port', options.port, 0);
  if (options.port !== undefined && options.port > 65_535) throw new InvalidOptionError('port', options.port, 'an integer from 0 to 65535');
  assertInteger('startTimeoutMs', options.startTimeoutMs, 1);
  assertInteger('healthIntervalMs', options.healthIntervalMs, 1);
  assertInteger('stopGraceMs', options.stopGraceMs, 0);
  assertInteger('logTailLines', options.logTailLines, 0);
  for (const name of ['onTeardownError', 'onStopped'] as const) {
    if (options[name] !== undefined) assertFunction(name, options[name]);
  }
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

function onceExited(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => {
      // 'error' without a pid is a failed spawn (ENOENT, EACCES): no 'exit' follows.
      if (child.pid === undefined) resolve({ code: null, signal: null, spawnError: error });
    });
  });
}

/** Waits for the stdio pipes to drain after exit, but not for grandchildren that still hold them. */
function drained(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Runs a local env server command (a Python uvicorn env, our own server via node) for as long as
 * the subscription lasts. Emits the endpoint once `GET /health` answers; fails fast with
 * `ServerExitedError` (kind `process`, exit code and output tail) if the process exits first;
 * `failure$` errors the same way if it dies later. Unsubscribing sends SIGTERM to the whole
 * process group (spawned detached), then SIGKILL after `stopGraceMs`. If this process exits
 * first (a signal, an uncaught error, `process.exit`), the group is SIGKILLed by the shared exit
 * hook; if it is SIGKILLed, the group is recorded for `reapOrphans()` / `openenv-rx reap`.
 * Bad arguments error the Observable with `InvalidOptionError` (nothing is thrown at call time).
 *
 * @example
 * processEndpoint('uvicorn', ['envs.echo_env.server.app:app', '--port', '{port}'])
 *   .subscribe((endpoint) => console.log(endpoint.url)); // http://127.0.0.1:<free port>
 */
export function processEndpoint(command: string, args: string[] = [], options: ProcessEndpointOptions = {}): Observable<Endpoint> {
  return new Observable<Endpoint>((subscriber) => {
    try {
      assertProcessEndpointArgs(command, args, options);
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    const startTimeoutMs = options.startTimeoutMs ?? 60_000;
    const stopGraceMs = options.stopGraceMs ?? 2_000;
    let child: ChildProcess | undefined;
    let release: (() => void) | undefined;
    let stopRequested = false;
    let healthy = false;
    let stopping: Promise<void> | undefined;
    const context: ErrorContext = { command };
    if (options.reap !== false) sweepOrphanProcessesOnce(options.stateDir, (error) => reportTeardownError(options.onTeardownError, error, {}));

    const stop = (): Promise<void> => {
      stopRequested = true;
      stopping ??= trackTeardown(
        (async () => {
          if (child) {
            try {
              await stopProcessGroup(child, stopGraceMs);
            } catch (error) {
              reportTeardownError(options.onTeardownError, error, context);
            }
            child.stdout?.destroy();
            child.stderr?.destroy();
          }
          release?.();
          try {
            options.onStopped?.({ pid: child?.pid });
          } catch (error) {
            reportTeardownError(options.onTeardownError, error, context);
          }
        })(),
      );
      return stopping;
    };

    const deadline = Date.now() + startTimeoutMs;
    const spawned$ = defer(async () => {
      const port = options.port || (await freePort());
      if (stopRequested) return undefined;
      const url = normalizeServerUrl((options.url ?? 'http://127.0.0.1:{port}').replaceAll('{port}', String(port)));
      context.url = url;
      const output = new LineTail(options.logTailLines ?? 50);
      const spawned = spawn(
        command,
        args.map((a) => a.replaceAll('{port}', String(port))),
        {
          cwd: options.cwd,
          env: { ...process.env, ...options.env, PORT: String(port) },
          detached: true, // own process group: kill(-pid) reaches its children too
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child = spawned;
      if (spawned.pid !== undefined) {
        context.pid = spawned.pid;
        release = trackProcessGroup(spawned.pid, command, options.stateDir);
      }
      spawned.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
      spawned.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
      const exited = onceExited(spawned).then(async (exit): Promise<OpenEnvError> => {
        // A command that cannot be spawned, or a server that exits with a code before it answered
        // /health, does that again on every start: permanent (pools and rollouts do not retry it).
        if (exit.spawnError) {
          return markPermanent(new ServerExitedError('process', null, [`spawn ${command}: ${exit.spawnError.message}`], context));
        }
        const atStart = !healthy && exit.code !== null;
        await drained(spawned, 200);
        const error = new ServerExitedError('process', exit.code, output.snapshot(), context, exit.signal);
        return atStart ? markPermanent(error) : error;
      });
      const exit$ = from(exited).pipe(mergeMap((error) => (stopRequested ? NEVER : throwError(() => error))));
      const endpoint: Endpoint = { url, kind: 'process', id: String(spawned.pid ?? ''), failure$: exit$ };
      return { endpoint, exit$ };
    });

    const start$ = spawned$.pipe(
      // Bounds the port pick and spawn; the health phase gets what is left (its error names the last probe).
      timeout({
        first: startTimeoutMs,
        with: () => throwError(() => new TimeoutError('start', startTimeoutMs, context, `Process ${command} not started after ${startTimeoutMs} ms`)),
      }),
      switchMap((started) => {
        if (!started) return NEVER; // unsubscribed meanwhile
        const healthy$ = waitHealthy(started.endpoint.url, {
          intervalMs: options.healthIntervalMs,
          timeoutMs: Math.max(1, deadline - Date.now()),
          budgetMs: startTimeoutMs,
          context,
        });
        return race(healthy$, started.exit$).pipe(
          map(() => {
            healthy = true;
            return started.endpoint;
          }),
        );
      }),
    );

    const subscription = start$.subscribe({
      next: (endpoint) => subscriber.next(endpoint),
      // A failed start is stopped before the error is emitted.
      error: (error: unknown) => void stop().then(() => subscriber.error(error)),
    });
    return () => {
      subscription.unsubscribe();
      void stop();
    };
  });
}
