import { NEVER, Observable, defer, map, race, switchMap, throwError, timeout } from 'rxjs';
import { InvalidOptionError, TimeoutError } from '../errors/index.js';
import { assertFunction, assertInteger } from '../internal/assert-option.js';
import type { Endpoint } from './endpoint.js';
import type { ProcessEndpointOptions } from './process/process-endpoint-options.js';
import { ProcessRun } from './process/process-run.js';
import { sweepOrphanProcessesOnce } from './process/reap-processes.js';
import { reportTeardownError } from './report-teardown-error.js';
import { waitHealthy } from './wait-healthy.js';

export type { ProcessEndpointOptions } from './process/process-endpoint-options.js';

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
    if (options.reap !== false) sweepOrphanProcessesOnce(options.stateDir, (error) => reportTeardownError(options.onTeardownError, error, {}));
    const run = new ProcessRun(command, args, options);
    const subscription = started$(run, command, options).subscribe({
      next: (endpoint) => subscriber.next(endpoint),
      // A failed start is stopped before the error is emitted.
      error: (error: unknown) => void run.stop().then(() => subscriber.error(error)),
    });
    return () => {
      subscription.unsubscribe();
      void run.stop();
    };
  });
}

/** Spawns `run` and emits its endpoint once /health answers; errors if it exits or the start times out. */
function started$(run: ProcessRun, command: string, options: ProcessEndpointOptions): Observable<Endpoint> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + startTimeoutMs;
  const { context } = run;
  return defer(() => run.spawn()).pipe(
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
          run.markHealthy();
          return started.endpoint;
        }),
      );
    }),
  );
}
