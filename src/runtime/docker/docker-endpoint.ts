import { NEVER, Observable, defer, from, map, mergeMap, race, switchMap, throwError, timeout } from 'rxjs';
import { InvalidOptionError, TimeoutError } from '../../errors/index.js';
import type { Endpoint } from '../endpoint.js';
import { waitHealthy } from '../wait-healthy.js';
import { ContainerRun } from './container-run.js';
import type { DockerEndpointOptions } from './docker-endpoint-options.js';

/**
 * Runs `image` in a container for as long as the subscription lasts. Subscribing creates the
 * container (labelled for the reaper, port published on 127.0.0.1 with a Docker-chosen host
 * port), starts it and emits the endpoint once `GET /health` answers. It fails fast with
 * `ServerExitedError` (exit code + last log lines) if the container exits while starting, and
 * with `TimeoutError` phase `start` after `startTimeoutMs`; a failed start removes the container
 * before the error is emitted. Unsubscribing stops (grace `stopGraceS`) and removes it; an
 * unsubscribe mid-start (even mid-create) force-removes it at once. `endpoint.failure$` errors if the container dies while in use. The Observable never
 * completes on its own. `awaitRuntimeTeardowns()` (or `onStopped`) tells when removal finished.
 *
 * @example
 * dockerEndpoint('echo-env:latest', { env: { MAX_CONCURRENT_ENVS: '4' } })
 *   .subscribe((endpoint) => console.log(endpoint.url)); // http://127.0.0.1:32768
 */
export function dockerEndpoint(image: string, options: DockerEndpointOptions = {}): Observable<Endpoint> {
  if (typeof image !== 'string' || image.trim() === '') {
    throw new InvalidOptionError('image', image, 'a non-empty image name');
  }
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;

  return new Observable<Endpoint>((subscriber) => {
    const run = new ContainerRun(image, options);
    const deadline = Date.now() + startTimeoutMs;
    const exit$ = defer(() => run.exitError()).pipe(mergeMap((error) => (run.stopped ? NEVER : throwError(() => error))));

    const endpoint$ = defer(() => run.start()).pipe(
      timeout({
        first: startTimeoutMs,
        with: () => throwError(() => new TimeoutError('start', startTimeoutMs, run.context, `Container of ${image} not started after ${startTimeoutMs} ms`)),
      }),
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
