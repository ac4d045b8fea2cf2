import { defer, switchMap, type Observable } from 'rxjs';
import type { DockerEndpointOptions } from './docker/docker-endpoint-options.js';
import type { Endpoint } from './endpoint.js';
import type { ProcessEndpointOptions } from './process-endpoint.js';
import type { ReapKindResult, ReapOptions, ReapResult } from './reaper/reap-result.js';
import type { SwarmEndpoint } from './swarm/swarm-endpoint.js';
import type { SwarmEndpointOptions } from './swarm/swarm-endpoint-options.js';
import type { KubernetesPodEndpoint } from './kubernetes/from-kubernetes-pod.js';
import type { KubernetesPodOptions } from './kubernetes/kubernetes-pod-options.js';
import type { KubernetesReapOptions } from './kubernetes/pod-reaper.js';

// The main entry must stay light: a user who only calls `connect(url)` never loads dockerode,
// child-process handling or the server. Each runtime's module is imported on first subscribe.
// (The in-process runtime lives in server/, above this layer: server/lazy-in-process-endpoint.ts.)

/**
 * A container of `image` for as long as the subscription lasts (see the implementation in
 * `runtime/docker/docker-endpoint.ts` for the whole contract). dockerode is loaded on the first
 * subscription, not at import.
 *
 * @example
 * dockerEndpoint(image, { env: { MAX_CONCURRENT_ENVS: '4' } }) // image: e.g. 'openenv-rx/envs:latest'
 *   .pipe(take(1)) // the container is stopped and removed when take(1) unsubscribes
 *   .subscribe((endpoint) => console.log(endpoint.url)); // http://127.0.0.1:32768
 */
export function dockerEndpoint(image: string, options: DockerEndpointOptions = {}): Observable<Endpoint> {
  return defer(() => import('./docker/docker-endpoint.js')).pipe(switchMap((runtime) => runtime.dockerEndpoint(image, options)));
}

/**
 * A local server process for as long as the subscription lasts (see `runtime/process-endpoint.ts`).
 * Loaded on the first subscription.
 *
 * @example
 * processEndpoint('uvicorn', ['envs.echo_env.server.app:app', '--port', '{port}']) // OpenEnv's echo env
 *   .pipe(take(1)) // the server is stopped (SIGTERM) when take(1) unsubscribes
 *   .subscribe((endpoint) => console.log(endpoint.url)); // http://127.0.0.1:<free port>
 */
export function processEndpoint(command: string, args: string[] = [], options: ProcessEndpointOptions = {}): Observable<Endpoint> {
  return defer(() => import('./process-endpoint.js')).pipe(switchMap((runtime) => runtime.processEndpoint(command, args, options)));
}

/**
 * A Docker Swarm service of `image` with one pinned task for as long as the subscription lasts
 * (see `runtime/swarm/swarm-endpoint.ts`). Loaded on the first subscription; bad options error
 * the Observable.
 *
 * @example
 * swarmEndpoint(image, { pull: 'if-missing', resources: { cpus: 1 } }) // image: e.g. 'registry.example/envs:1.2'
 *   .pipe(take(1)) // the service is removed when take(1) unsubscribes
 *   .subscribe((endpoint) => console.log(endpoint.url, endpoint.nodeId));
 */
export function swarmEndpoint(image: string, options: SwarmEndpointOptions = {}): Observable<SwarmEndpoint> {
  return defer(() => import('./swarm/swarm-endpoint.js')).pipe(switchMap((runtime) => runtime.swarmEndpoint(image, options)));
}

/**
 * One Kubernetes pod of `image` for as long as the subscription lasts, reached straight on its IP
 * or through a port-forward, never a Service (see `runtime/kubernetes/from-kubernetes-pod.ts` for
 * the whole contract). `@kubernetes/client-node` is loaded on the first subscription.
 *
 * @example
 * fromKubernetesPod(image, { namespace: 'envs', resources: { limits: { memory: '512Mi' } } }) // image: e.g. 'registry.example.com/envs/echo:1.0'
 *   .pipe(take(1)) // the pod is deleted when take(1) unsubscribes
 *   .subscribe((endpoint) => console.log(endpoint.url, endpoint.podName, endpoint.via)); // http://10.244.0.7:8000 openenv-rx-... pod-ip
 */
export function fromKubernetesPod(image: string, options: KubernetesPodOptions = {}): Observable<KubernetesPodEndpoint> {
  return defer(() => import('./kubernetes/from-kubernetes-pod.js')).pipe(switchMap((runtime) => runtime.fromKubernetesPod(image, options)));
}

/**
 * Deletes the openenv-rx pods of dead owners on this host in a namespace (`--all`: every one);
 * see `runtime/kubernetes/pod-reaper.ts`. `@kubernetes/client-node` is loaded on the first call.
 *
 * @example
 * const { removed } = await reapKubernetesPods({ namespace: 'envs' });
 * console.log(`deleted ${removed.length} pod(s)`);
 */
export async function reapKubernetesPods(options: KubernetesReapOptions = {}): Promise<ReapKindResult> {
  const reaper = await import('./kubernetes/pod-reaper.js');
  return reaper.reapKubernetesPods(options);
}

/**
 * Removes what dead openenv-rx processes left behind: server process groups and containers (see
 * `runtime/reap-orphans.ts`). dockerode is loaded on the first call.
 *
 * @example
 * const { removed, processes } = await reapOrphans();
 * console.log(`removed ${removed.length} container(s), ${processes.removed.length} process group(s)`);
 */
export async function reapOrphans(options: ReapOptions = {}): Promise<ReapResult> {
  const reaper = await import('./reap-orphans.js');
  return reaper.reapOrphans(options);
}
