import { randomBytes } from 'node:crypto';
import { Observable, Subscription, concat, defer, last, map, race, switchMap, throwError, timeout } from 'rxjs';
import { TimeoutError } from '../../errors/index.js';
import type { Endpoint } from '../endpoint.js';
import { waitHealthy } from '../wait-healthy.js';
import { ServiceRun } from './service-run.js';
import type { SwarmEndpointOptions } from './swarm-endpoint-options.js';
import { validateSwarmOptions } from './validate-options.js';
import { waitWsHandshake } from './wait-ws-handshake.js';

/** What `swarmEndpoint` emits: an `Endpoint` plus where the task runs and what requests must carry. */
export interface SwarmEndpoint extends Endpoint {
  kind: 'swarm';
  /** Service id (also `id`). */
  serviceId: string;
  serviceName: string;
  taskId: string;
  nodeId: string;
  /** Headers every request to this server needs: `authorization: Bearer <token>` (empty with `token: false`). */
  headers: Record<string, string>;
}

/** A fresh bearer token: 256 random bits, URL-safe. */
export const generateServiceToken = (): string => randomBytes(32).toString('base64url');

/** `{ authorization: 'Bearer <token>' }`, or `{}` without a token. */
const bearerHeaders = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/**
 * Runs `image` as a Docker Swarm service of one task for as long as the subscription lasts, through
 * the manager's API (dockerode, no CLI). Subscribing creates the service (owner labels for the
 * reaper, restart policy `none`, container port published in host mode on an engine-chosen port,
 * never through the ingress mesh), waits for its task to run, reads the task's node address and
 * port, waits for `GET /health` and a WebSocket handshake on `/ws` (with the token), then emits.
 * The session is pinned to that task: `endpoint.failure$` errors with `SwarmTaskError` (state,
 * engine message, exit code, last `service logs` lines) when it fails, is shut down or vanishes.
 * A task that fails, is rejected or cannot be placed while starting errors the same way (an
 * unplaceable task after `schedulingTimeoutMs`); `startTimeoutMs` bounds the whole start
 * (`TimeoutError` phase `start`, naming the last task state). Unsubscribing at any moment, and
 * any error, removes the service; `awaitRuntimeTeardowns()` / `onStopped` tell when its
 * container is gone.
 *
 * The server gets `OPENENV_TOKEN` (a fresh random token unless `token` is given) because a
 * host-mode port listens on every interface of the node; the emitted `headers` carry it.
 *
 * @example
 * swarmEndpoint('openenv-rx-server:latest', { env: { OPENENV_ENV: 'grid_world' }, resources: { cpus: 1 } })
 *   .subscribe((endpoint) => console.log(endpoint.url, endpoint.nodeId)); // http://10.0.0.5:30001 ...
 */
export function swarmEndpoint(image: string, options: SwarmEndpointOptions = {}): Observable<SwarmEndpoint> {
  // Cold like every runtime: bad arguments error the Observable, never throw at call time.
  return defer(() => {
    validateSwarmOptions(image, options);
    return startService(image, options);
  });
}

function startService(image: string, options: SwarmEndpointOptions): Observable<SwarmEndpoint> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const fastPollMs = options.taskPollIntervalMs ?? 50;
  const watchIntervalMs = options.watchIntervalMs ?? 500;

  return new Observable<SwarmEndpoint>((subscriber) => {
    const token = options.token === false ? undefined : (options.token ?? generateServiceToken());
    const headers = bearerHeaders(token);
    const run = new ServiceRun(image, options, token);
    const deadline = performance.now() + startTimeoutMs;
    const left = (): number => Math.max(1, deadline - performance.now());

    const endpoint$ = run.start().pipe(
      timeout({
        first: startTimeoutMs,
        with: () =>
          throwError(
            () => new TimeoutError('start', startTimeoutMs, run.context, `Swarm service ${run.name} of ${image} not running after ${startTimeoutMs} ms (last seen: ${run.lastState})`),
          ),
      }),
      switchMap(({ url, task }) => {
        const endpoint: SwarmEndpoint = {
          url,
          kind: 'swarm',
          id: task.ServiceID,
          serviceId: task.ServiceID,
          serviceName: run.name,
          taskId: task.ID,
          nodeId: task.NodeID ?? '',
          headers,
          failure$: run.failure$(watchIntervalMs),
        };
        const probe = { intervalMs: options.healthIntervalMs, budgetMs: startTimeoutMs, context: run.context };
        const ready$ = concat(
          defer(() => waitHealthy(url, { ...probe, timeoutMs: left() })),
          defer(() => waitWsHandshake(url, { ...probe, headers, timeoutMs: left() })),
        ).pipe(last());
        // While starting, a dying task is noticed at the start's poll rate.
        return race(ready$, run.failure$(fastPollMs)).pipe(
          map(() => {
            run.ready = true;
            return endpoint;
          }),
        );
      }),
    );

    const watching = new Subscription();
    const subscription = endpoint$.subscribe({
      next: (endpoint) => {
        // Keeps watching the task while subscribed, as a container's wait does: a process holding
        // a session does not exit under it (the failure itself reaches users through failure$).
        watching.add(endpoint.failure$!.subscribe({ error: () => undefined }));
        subscriber.next(endpoint);
      },
      // A failed start removes its service before the error is emitted.
      error: (error: unknown) => void run.stop().then(() => subscriber.error(error)),
    });
    return () => {
      watching.unsubscribe();
      subscription.unsubscribe();
      void run.stop();
    };
  });
}

/**
 * What `fromSwarmService` needs: the endpoint and the headers its sessions send. The token is
 * chosen here (given, or fresh) so that the server and the session's transport share it.
 */
export function swarmSession(image: string, options: SwarmEndpointOptions = {}): { endpoint$: Observable<SwarmEndpoint>; headers: Record<string, string> } {
  const token = options.token === false ? undefined : (options.token ?? generateServiceToken());
  return {
    endpoint$: defer(() => swarmEndpoint(image, { ...options, token: token ?? false })),
    headers: bearerHeaders(token),
  };
}
