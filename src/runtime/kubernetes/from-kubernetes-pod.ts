import { randomBytes } from 'node:crypto';
import { Observable, Subscription, defer, from, map, of, race, switchMap, throwError, timeout } from 'rxjs';
import { TimeoutError } from '../../errors/index.js';
import type { Endpoint } from '../endpoint.js';
import { trackTeardown } from '../teardown-registry.js';
import { waitHealthy } from '../wait-healthy.js';
import type { KubernetesPodOptions } from './kubernetes-pod-options.js';
import { holdPodUntilExit } from './pod-exit-guard.js';
import { isRoutable, podPortForward } from './pod-port-forward.js';
import { PodRun } from './pod-run.js';
import { resolveKubeConfig, resolveNamespace } from './resolve-kube-config.js';
import { validatePodOptions } from './validate-pod-options.js';

/** What `fromKubernetesPod` emits: an `Endpoint` plus the pod it is pinned to. */
export interface KubernetesPodEndpoint extends Endpoint {
  kind: 'kubernetes';
  /** Pod name (also `id`). */
  podName: string;
  namespace: string;
  podIP: string;
  /** How `url` reaches the pod: its IP, or a local port forwarded through the API server. */
  via: 'pod-ip' | 'port-forward';
}

/** How long `connectVia: 'auto'` waits for a TCP answer from the pod IP before it forwards a port instead. */
const ROUTABLE_PROBE_MS = 2_000;

/**
 * Runs `image` as one Kubernetes pod for as long as the subscription lasts, through the official
 * `@kubernetes/client-node`. Subscribing creates the pod (owner labels for the reaper,
 * `restartPolicy: Never`), watches it until its container runs, then waits for `GET /health` and
 * emits. Sessions talk to that pod straight, never through a Service, so each stays pinned to its
 * server: on the pod IP when it is routable from here, else through a local port forwarded by
 * the API server (`connectVia` forces either). `endpoint.failure$` errors with a typed
 * `KubernetesPodError` (crash with log tail, OOM kill, eviction, deletion by someone else; each
 * with the pod's events). A permanent failure while starting (image pull, crash, a pod no node
 * can take for `schedulingTimeoutMs`) errors at once; `startTimeoutMs` bounds the whole start
 * (`TimeoutError` phase `start`, naming the last status seen). Unsubscribing at any moment, and
 * any error, deletes the pod; `awaitRuntimeTeardowns()` resolves once the API server no longer
 * has it. If the process exits while holding pods, a detached child deletes them (`reap`).
 *
 * @example
 * Echo.fromEndpoint(fromKubernetesPod(image, { namespace: 'envs' })) // image: e.g. 'registry.example.com/envs/echo:1.0'
 *   .pipe(withSession((env) => env.reset())) // the pod is deleted (awaited gone) once the reset is answered
 *   .subscribe((result) => console.log(result.observation));
 */
export function fromKubernetesPod(image: string, options: KubernetesPodOptions = {}): Observable<KubernetesPodEndpoint> {
  // Cold like every runtime: bad arguments error the Observable, never throw at call time.
  return defer(() => {
    validatePodOptions(image, options);
    const kubeConfig = resolveKubeConfig(options.kubeConfig);
    const name = `openenv-rx-${randomBytes(6).toString('hex')}`;
    return startPod(new PodRun(kubeConfig, resolveNamespace(kubeConfig, options.namespace), name, image, options));
  });
}

/** The URL sessions use for a pod that runs at `podIP`: straight, or through a port-forward (held while subscribed). */
function podUrl(run: PodRun, podIP: string, port: number): Observable<{ url: string; via: KubernetesPodEndpoint['via'] }> {
  const direct = { url: `http://${podIP.includes(':') ? `[${podIP}]` : podIP}:${port}`, via: 'pod-ip' as const };
  const forwarded$ = podPortForward(run.kubeConfig, run.namespace, run.name, port).pipe(map((url) => ({ url, via: 'port-forward' as const })));
  switch (run.options.connectVia ?? 'auto') {
    case 'pod-ip':
      return of(direct);
    case 'port-forward':
      return forwarded$;
    case 'auto':
      return from(isRoutable(podIP, port, ROUTABLE_PROBE_MS)).pipe(switchMap((routable) => (routable ? of(direct) : forwarded$)));
  }
}

function startPod(run: PodRun): Observable<KubernetesPodEndpoint> {
  const startTimeoutMs = run.options.startTimeoutMs ?? 120_000;
  const port = run.options.containerPort ?? 8000;
  return new Observable<KubernetesPodEndpoint>((subscriber) => {
    const deadline = performance.now() + startTimeoutMs;
    const release = run.options.reap === false ? () => undefined : holdPodUntilExit(run.kubeConfig, run.namespace);
    const endpoint$ = run.create().pipe(
      switchMap(() => run.running$()),
      switchMap((podIP) => podUrl(run, podIP, port).pipe(map((reach) => ({ podIP, ...reach })))),
      switchMap(({ podIP, url, via }) => {
        const endpoint: KubernetesPodEndpoint = { url, kind: 'kubernetes', id: run.name, podName: run.name, namespace: run.namespace, podIP, via, failure$: run.failure$() };
        const healthy$ = waitHealthy(url, {
          intervalMs: run.options.healthIntervalMs,
          timeoutMs: Math.max(1, deadline - performance.now()),
          budgetMs: startTimeoutMs,
          context: { ...run.context, url },
        });
        // A pod failing while /health is probed fails the start at once. The port-forward (if
        // any) stays open while this inner subscription lives, i.e. while the endpoint is held.
        return race(healthy$, run.failure$()).pipe(map(() => endpoint));
      }),
      timeout({
        first: startTimeoutMs,
        with: () => throwError(() => new TimeoutError('start', startTimeoutMs, run.context, `Kubernetes pod ${run.name} of ${run.image} not serving after ${startTimeoutMs} ms (last seen: ${run.lastSeen})`)),
      }),
    );
    const watching = new Subscription();
    const stop = (): Promise<void> => trackTeardown(run.stop().finally(release));
    const subscription = endpoint$.subscribe({
      next: (endpoint) => {
        // Keeps watching while subscribed, so the failure is seen even before anyone subscribes to failure$.
        watching.add(endpoint.failure$!.subscribe({ error: () => undefined }));
        subscriber.next(endpoint);
      },
      // A failed start deletes its pod before the error is emitted.
      error: (error: unknown) => void stop().then(() => subscriber.error(error)),
    });
    return () => {
      watching.unsubscribe();
      subscription.unsubscribe();
      void stop();
    };
  });
}
