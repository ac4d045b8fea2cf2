import { NEVER, Observable, defer, from, map, mergeMap, race, switchMap, throwError, timeout } from 'rxjs';
import { TimeoutError } from '../../errors/index.js';
import type { Endpoint } from '../endpoint.js';
import { waitHealthy } from '../wait-healthy.js';
import { ContainerRun } from './container-run.js';
import { assertDockerEndpointArgs, type DockerEndpointOptions } from './docker-endpoint-options.js';

/** A promise-returning step as an Observable whose unsubscription aborts it. */
function abortable(work: (signal: AbortSignal) => Promise<void>): Observable<void> {
  return new Observable<void>((subscriber) => {
    const abort = new AbortController();
    work(abort.signal).then(
      () => {
        subscriber.next();
        subscriber.complete();
      },
      (error: unknown) => subscriber.error(error), // after an abort the subscriber is closed: ignored
    );
    return () => abort.abort();
  });
}

/**
 * Runs `image` in a container for as long as the subscription lasts. Subscribing pings the
 * engine, pulls the image if the `pull` policy says so (its own budget `pullTimeoutMs`, progress
 * to `onProgress`; unsubscribing aborts it), creates the container (labelled for the reaper, port
 * published on 127.0.0.1 with a Docker-chosen host port), starts it and emits the endpoint once
 * `GET /health` answers. It fails fast with `ServerExitedError` (exit code + last log lines) if
 * the container exits while starting, and with `TimeoutError` phase `start` after
 * `startTimeoutMs` (the pull not counted); a failed start removes the container before the error
 * is emitted. Unsubscribing force-removes it (`docker rm -f`; `stopGraceS` > 0 stops it
 * gracefully first); an unsubscribe mid-start (even mid-create) removes it too. If this process
 * exits (signal, uncaught error), a detached child removes it; if it is SIGKILLed, `reapOrphans()`
 * does. `endpoint.failure$` errors if the container dies while in use. The Observable never
 * completes on its own. `awaitRuntimeTeardowns()` (or `onStopped`) tells when removal finished.
 * Bad arguments error the Observable with `InvalidOptionError` (nothing is thrown at call time).
 *
 * @example
 * dockerEndpoint('echo-env:latest', { env: { MAX_CONCURRENT_ENVS: '4' } })
 *   .subscribe((endpoint) => console.log(endpoint.url)); // http://127.0.0.1:32768
 */
export function dockerEndpoint(image: string, options: DockerEndpointOptions = {}): Observable<Endpoint> {
  return new Observable<Endpoint>((subscriber) => {
    try {
      assertDockerEndpointArgs(image, options);
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    const startTimeoutMs = options.startTimeoutMs ?? 60_000;
    const pullTimeoutMs = options.pullTimeoutMs ?? 600_000;
    const run = new ContainerRun(image, options);
    const exit$ = defer(() => run.exitError()).pipe(mergeMap((error) => (run.stopped ? NEVER : throwError(() => error))));
    // The start budget runs from subscribe, paused while the image is pulled.
    let deadline = Date.now() + startTimeoutMs;
    const startTimeout = <T>() =>
      timeout<T, Observable<never>>({
        first: Math.max(1, deadline - Date.now()),
        with: () => throwError(() => new TimeoutError('start', startTimeoutMs, run.context, `Container of ${image} not started after ${startTimeoutMs} ms`)),
      });

    const pulled$ = defer(() => {
      const pullStarted = Date.now();
      return abortable((signal) => run.pull(signal)).pipe(
        timeout({
          first: pullTimeoutMs,
          with: () => throwError(() => new TimeoutError('pull', pullTimeoutMs, run.context, `Pull of ${image} not finished after ${pullTimeoutMs} ms`)),
        }),
        map(() => {
          deadline += Date.now() - pullStarted;
        }),
      );
    });

    const endpoint$ = defer(() => run.connect()).pipe(
      startTimeout(),
      switchMap(() => pulled$),
      switchMap(() => defer(() => run.start()).pipe(startTimeout())),
      mergeMap((url) => (url === undefined ? NEVER : from([url]))),
      switchMap((url) => {
        const endpoint: Endpoint = { url, kind: 'docker', id: run.context.containerId, failure$: exit$ };
        const healthy$ = waitHealthy(url, {
          intervalMs: options.healthIntervalMs,
          timeoutMs: Math.max(1, deadline - Date.now()),
          budgetMs: startTimeoutMs,
          context: run.context,
        });
        return race(healthy$, exit$).pipe(
          map(() => {
            run.markReady();
            return endpoint;
          }),
        );
      }),
    );

    const subscription = endpoint$.subscribe({
      next: (endpoint) => subscriber.next(endpoint),
      // A failed start removes its container before the error is emitted.
      error: (error: unknown) => void run.stop().then(() => subscriber.error(error)),
    });
    return () => {
      subscription.unsubscribe();
      void run.stop();
    };
  });
}
