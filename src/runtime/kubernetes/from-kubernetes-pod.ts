import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { Observable, Subscription, defer, map, race, switchMap, throwError, timeout } from 'rxjs';
import { InvalidOptionError, TimeoutError } from '../../errors/index.js';
import type { Endpoint } from '../endpoint.js';
import { trackTeardown } from '../teardown-registry.js';
import { waitHealthy } from '../wait-healthy.js';
import type { KubernetesPodOptions } from './kubernetes-pod-options.js';
import { PodRun } from './pod-run.js';

/** What `fromKubernetesPod` emits: an `Endpoint` plus the pod it is pinned to. */
export interface KubernetesPodEndpoint extends Endpoint {
  kind: 'kubernetes';
  /** Pod name (also `id`). */
  podName: string;
  namespace: string;
  podIP: string;
}

function defaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/**
 * Runs `image` as one Kubernetes pod for as long as the subscription lasts, through the official
 * `@kubernetes/client-node`. Subscribing creates the pod (owner labels, `restartPolicy: Never`),
 * watches it until its container runs, then waits for `GET /health` on the pod IP and emits. The
 * session talks to that pod straight (never through a Service), so it stays pinned to its server;
 * `endpoint.failure$` errors with `KubernetesPodError` when the pod fails or is deleted by
 * someone else. A permanent failure while starting (`ErrImagePull`, `ErrImageNeverPull`,
 * `CrashLoopBackOff`, the container exiting) errors at once; `startTimeoutMs` bounds the whole
 * start (`TimeoutError` phase `start`, naming the last status seen). Unsubscribing at any moment,
 * and any error, deletes the pod; `awaitRuntimeTeardowns()` resolves once the API server no longer
 * has it. The pod IP must be routable from this process (true on the node itself and inside the
 * cluster); a port-forward for other clients is not built yet.
 *
 * @example
 * fromKubernetesPod('openenv-rx-server:latest', { namespace: 'envs', imagePullPolicy: 'Never' })
 *   .subscribe((endpoint) => console.log(endpoint.url, endpoint.podName)); // http://10.244.0.7:8000 openenv-rx-...
 */
export function fromKubernetesPod(image: string, options: KubernetesPodOptions = {}): Observable<KubernetesPodEndpoint> {
  // Cold like every runtime: bad arguments error the Observable, never throw at call time.
  return defer(() => {
    if (typeof image !== 'string' || image.trim() === '') throw new InvalidOptionError('image', image, 'a non-empty image name');
    const port = options.containerPort ?? 8000;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new InvalidOptionError('containerPort', port, 'an integer in 1..65535', { image });
    const kubeConfig = options.kubeConfig ?? defaultKubeConfig();
    const namespace = options.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
    const name = `openenv-rx-${randomBytes(6).toString('hex')}`;
    return startPod(new PodRun(kubeConfig, namespace, name, image, options), port);
  });
}

function startPod(run: PodRun, port: number): Observable<KubernetesPodEndpoint> {
  const startTimeoutMs = run.options.startTimeoutMs ?? 120_000;
  return new Observable<KubernetesPodEndpoint>((subscriber) => {
    const deadline = performance.now() + startTimeoutMs;
    const endpoint$ = run.create().pipe(
      switchMap(() => run.running$()),
      switchMap((podIP) => {
        const url = `http://${podIP.includes(':') ? `[${podIP}]` : podIP}:${port}`;
        const endpoint: KubernetesPodEndpoint = {
          url,
          kind: 'kubernetes',
          id: run.name,
          podName: run.name,
          namespace: run.namespace,
          podIP,
          failure$: run.failure$(),
        };
        const healthy$ = waitHealthy(url, {
          intervalMs: run.options.healthIntervalMs,
          timeoutMs: Math.max(1, deadline - performance.now()),
          budgetMs: startTimeoutMs,
          context: { ...run.context, url },
        });
        // A pod failing while /health is probed fails the start at once.
        return race(healthy$, run.failure$()).pipe(map(() => endpoint));
      }),
      timeout({
        first: startTimeoutMs,
        with: () => throwError(() => new TimeoutError('start', startTimeoutMs, run.context, `Kubernetes pod ${run.name} of ${run.image} not serving after ${startTimeoutMs} ms (last seen: ${run.lastSeen})`)),
      }),
    );
    const watching = new Subscription();
    const subscription = endpoint$.subscribe({
      next: (endpoint) => {
        // Keeps watching while subscribed, so the failure is seen even before anyone subscribes to failure$.
        watching.add(endpoint.failure$!.subscribe({ error: () => undefined }));
        subscriber.next(endpoint);
      },
      // A failed start deletes its pod before the error is emitted.
      error: (error: unknown) => void trackTeardown(run.stop()).then(() => subscriber.error(error)),
    });
    return () => {
      watching.unsubscribe();
      subscription.unsubscribe();
      void trackTeardown(run.stop());
    };
  });
}
