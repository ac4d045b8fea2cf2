import { Observable } from 'rxjs';
import type { AnyEnvDefinition } from '../environment/environment.js';
import type { Endpoint } from '../runtime/endpoint.js';
import { reportTeardownError, type TeardownErrorHandler } from '../runtime/report-teardown-error.js';
import { trackTeardown } from '../runtime/teardown-registry.js';
import { serve, type RunningServer, type ServeOptions } from './serve.js';

/** Options of `inProcessEndpoint`: those of `serve` (the server binds 127.0.0.1 on a free port). */
export interface InProcessEndpointOptions extends Omit<ServeOptions, 'host' | 'port'> {
  /** Sees a failure to close the server on unsubscribe (default: a process warning). */
  onTeardownError?: TeardownErrorHandler;
}

/**
 * The in-process runtime (it lives with the server it runs, above `runtime/`; the main entry
 * exports the lazy `inProcessEndpoint` of `lazy-in-process-endpoint.ts`, which loads this file on
 * first subscribe). Runs a TypeScript env in this process: subscribing starts `serve()` on 127.0.0.1 (a free port)
 * and emits `{url, kind: 'in-process', id}`; unsubscribing closes the server and its sessions.
 * Clients reach it over real sockets on loopback, the same path as a remote server.
 * A failure to start is the Observable's error (a `ServeError`).
 *
 * @example
 * inProcessEndpoint(gridWorldEnv).pipe(switchMap((endpoint) => connectTo(endpoint))).subscribe(...);
 * // await awaitRuntimeTeardowns() after unsubscribing to know the port is released
 */
export function inProcessEndpoint(definition: AnyEnvDefinition, options: InProcessEndpointOptions = {}): Observable<Endpoint> {
  return new Observable<Endpoint>((subscriber) => {
    const { onTeardownError, ...serveOptions } = options;
    let server: RunningServer | undefined;
    let unsubscribed = false;
    const stop = (running: RunningServer): void => {
      void trackTeardown(
        running.close().catch((error: unknown) => reportTeardownError(onTeardownError, error, { env: definition.name, url: running.url })),
      );
    };
    const starting = serve(definition, { ...serveOptions, host: '127.0.0.1', port: 0 }).then(
      (running) => {
        // Unsubscribed while starting: close what just started.
        if (unsubscribed) return stop(running);
        server = running;
        subscriber.next({ url: running.url, kind: 'in-process', id: `in-process:${definition.name}:${running.port}` });
      },
      (error: unknown) => subscriber.error(error),
    );
    void trackTeardown(starting.then(() => undefined));
    return () => {
      unsubscribed = true;
      if (server) stop(server);
    };
  });
}
