import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/** What the cluster said about a failed pod, beside its status. */
export interface KubernetesPodDetails {
  /** The pod's events, oldest first, as `Reason: message` (e.g. `FailedScheduling: 0/1 nodes are available: ...`). */
  events?: string[];
  /** The container's last log lines, when it ran. */
  logTail?: string[];
}

/** The codes of `KubernetesPodError` and its subclasses. */
export type KubernetesPodErrorCode =
  | 'ERR_K8S_POD'
  | 'ERR_K8S_IMAGE_PULL'
  | 'ERR_K8S_CRASH'
  | 'ERR_K8S_UNSCHEDULABLE'
  | 'ERR_K8S_OOM_KILLED'
  | 'ERR_K8S_EVICTED'
  | 'ERR_K8S_POD_DELETED';

/**
 * The pod serving a session ended, or never ran. A subclass names each failure a user can act on
 * (image pull, crash, unschedulable, OOM kill, eviction, deletion); this class itself is the
 * rest (`CreateContainerConfigError`, a `Failed` phase with another reason, a pod whose node
 * stopped reporting: `reason` `NodeNotReady`, a pod stuck terminating). `reason` is the
 * container's waiting/terminated reason or the pod's; `podMessage` what the kubelet or scheduler
 * said; `events` the pod's events; `logTail` the container's last log lines when it ran.
 *
 * @example
 * // The server exits at start (an env name it does not serve): ERR_K8S_CRASH Error, its last log lines, the pod's events.
 * fromKubernetesPod(image, { env: { OPENENV_ENV: 'no_such_env' } }).subscribe({
 *   error: (e) => {
 *     if (!(e instanceof KubernetesPodError)) throw e; // e.g. a KubernetesApiError: no pod was created
 *     console.log(e.code, e.reason, e.podMessage, e.events, e.logTail);
 *   },
 * });
 */
export class KubernetesPodError extends OpenEnvError {
  /** The pod's events (`Reason: message`), oldest first; empty when they could not be read. */
  readonly events: string[];
  /** The container's last log lines (empty when it never ran or they could not be read). */
  readonly logTail: string[];

  constructor(
    /** e.g. `ErrImageNeverPull`, `CrashLoopBackOff`, `Error`, `OOMKilled`, `Evicted`, `Deleted`, `Unschedulable`. */
    readonly reason: string,
    /** The kubelet's (or scheduler's) message for that reason (may be empty). */
    readonly podMessage: string,
    /** The container's exit code when it ran and exited; `null` otherwise. */
    readonly exitCode: number | null,
    context: ErrorContext = {},
    details: KubernetesPodDetails = {},
    code: KubernetesPodErrorCode = 'ERR_K8S_POD',
  ) {
    const pod = typeof context['pod'] === 'string' ? ` ${context['pod']}` : '';
    const exit = exitCode !== null ? ` (exit code ${exitCode})` : '';
    const events = details.events?.length ? `\n--- pod events ---\n${details.events.join('\n')}` : '';
    const tail = details.logTail?.length ? `\n--- last ${details.logTail.length} log lines ---\n${details.logTail.join('\n')}` : '';
    super(`The env's Kubernetes pod${pod} is ${reason}${podMessage ? `: ${podMessage}` : ''}${exit}${tail}${events}`, code, context);
    this.events = details.events ?? [];
    this.logTail = details.logTail ?? [];
  }
}

/**
 * The pod's image cannot be pulled (`ErrImagePull`, `ImagePullBackOff`), is not on the node with
 * `imagePullPolicy: Never` (`ErrImageNeverPull`), or is not a valid name (`InvalidImageName`).
 * Permanent: the start fails at once, without waiting out the back-off.
 *
 * @example
 * fromKubernetesPod('no-such:image', { imagePullPolicy: 'Never' }).subscribe({
 *   error: (e) => {
 *     if (!(e instanceof KubernetesImagePullError)) throw e;
 *     console.log(e.reason, e.events); // ErrImageNeverPull [ ..., 'ErrImageNeverPull: Container image "no-such:image" is not present with pull policy of Never', ... ]
 *   },
 * });
 */
export class KubernetesImagePullError extends KubernetesPodError {
  constructor(reason: string, podMessage: string, context: ErrorContext = {}, details: KubernetesPodDetails = {}) {
    super(reason, podMessage, null, context, details, 'ERR_K8S_IMAGE_PULL');
  }
}

/**
 * The server's container exited (`reason` `Error` or `Completed`, with its exit code),
 * crash-loops (`CrashLoopBackOff`, for a container the kubelet restarts) or cannot be started
 * (`RunContainerError`, `CreateContainerError`). `logTail` holds its last log lines.
 *
 * @example
 * // openenv-rx's server refuses a malformed setting and exits 1 at start.
 * fromKubernetesPod(image, { env: { MAX_CONCURRENT_ENVS: 'many' } }).subscribe({
 *   error: (e) => {
 *     if (!(e instanceof KubernetesCrashError)) throw e;
 *     console.log(e.exitCode, e.logTail); // 1 [ 'openenv-rx: cannot serve echo: MAX_CONCURRENT_ENVS must be a non-negative integer, got "many"' ]
 *   },
 * });
 */
export class KubernetesCrashError extends KubernetesPodError {
  constructor(reason: string, podMessage: string, exitCode: number | null, context: ErrorContext = {}, details: KubernetesPodDetails = {}) {
    super(reason, podMessage, exitCode, context, details, 'ERR_K8S_CRASH');
  }
}

/**
 * The scheduler places the pod on no node, and said why in `podMessage` (e.g. `0/1 nodes are
 * available: 1 node(s) didn't match Pod's node affinity/selector`, or `1 Insufficient memory`)
 * for longer than `schedulingTimeoutMs`.
 *
 * @example
 * fromKubernetesPod(image, { nodeSelector: { gpu: 'a100' }, schedulingTimeoutMs: 5_000 }).subscribe({
 *   error: (e) => {
 *     if (!(e instanceof KubernetesUnschedulableError)) throw e;
 *     console.log(e.podMessage); // 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. ...
 *   },
 * });
 */
export class KubernetesUnschedulableError extends KubernetesPodError {
  constructor(podMessage: string, context: ErrorContext = {}, details: KubernetesPodDetails = {}) {
    super('Unschedulable', podMessage, null, context, details, 'ERR_K8S_UNSCHEDULABLE');
  }
}

/**
 * The server's container was killed for exceeding its memory limit (`OOMKilled`, exit code 137
 * usually). Raise `resources.limits.memory`.
 *
 * @example
 * // 16 MiB is less than Node.js needs to start openenv-rx's server.
 * fromKubernetesPod(image, { resources: { limits: { memory: '16Mi' } } }).subscribe({
 *   error: (e) => {
 *     if (!(e instanceof KubernetesOomKilledError)) throw e;
 *     console.log(e.exitCode, e.logTail); // 137 []
 *   },
 * });
 */
export class KubernetesOomKilledError extends KubernetesPodError {
  constructor(podMessage: string, exitCode: number | null, context: ErrorContext = {}, details: KubernetesPodDetails = {}) {
    super('OOMKilled', podMessage, exitCode, context, details, 'ERR_K8S_OOM_KILLED');
  }
}

/**
 * The pod was evicted: by the kubelet under node pressure (phase `Failed`, reason `Evicted`), or
 * through the Eviction API (a drain; the pod carries a `DisruptionTarget` condition as it goes).
 * Not permanent: a pool replaces the pod.
 *
 * @example
 * import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
 *
 * // Here the program evicts its own pod, as `kubectl drain` would.
 * const kubeConfig = new KubeConfig();
 * kubeConfig.loadFromDefault();
 * const api = kubeConfig.makeApiClient(CoreV1Api);
 * const evict = (pod: KubernetesPodEndpoint) => api.createNamespacedPodEviction({ name: pod.podName, namespace: pod.namespace, body: { metadata: { name: pod.podName } } });
 * fromKubernetesPod(image, { kubeConfig })
 *   .pipe(mergeMap((pod) => concat(from(evict(pod)).pipe(ignoreElements()), pod.failure$!))) // failure$: how the pod ended
 *   .subscribe({
 *     error: (e) => {
 *       if (!(e instanceof KubernetesEvictedError)) throw e;
 *       console.log(e.podMessage); // Eviction API: evicting ...
 *     },
 *   });
 */
export class KubernetesEvictedError extends KubernetesPodError {
  constructor(podMessage: string, context: ErrorContext = {}, details: KubernetesPodDetails = {}) {
    super('Evicted', podMessage, null, context, details, 'ERR_K8S_EVICTED');
  }
}

/**
 * Someone else deleted the pod (`kubectl delete pod`, a namespace deletion, a garbage-collected
 * owner) while this process used it. Not permanent: a pool replaces the pod.
 *
 * @example
 * import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
 *
 * // Here the program deletes its own pod, as `kubectl delete pod` would.
 * const kubeConfig = new KubeConfig();
 * kubeConfig.loadFromDefault();
 * const api = kubeConfig.makeApiClient(CoreV1Api);
 * const remove = (pod: KubernetesPodEndpoint) => api.deleteNamespacedPod({ name: pod.podName, namespace: pod.namespace });
 * fromKubernetesPod(image, { kubeConfig })
 *   .pipe(mergeMap((pod) => concat(from(remove(pod)).pipe(ignoreElements()), pod.failure$!))) // failure$: how the pod ended
 *   .subscribe({
 *     error: (e) => {
 *       if (!(e instanceof KubernetesPodDeletedError)) throw e;
 *       console.log(e.context['pod']); // openenv-rx-...
 *     },
 *   });
 */
export class KubernetesPodDeletedError extends KubernetesPodError {
  constructor(context: ErrorContext = {}, details: KubernetesPodDetails = {}) {
    super('Deleted', 'the pod was deleted by someone else', null, context, details, 'ERR_K8S_POD_DELETED');
  }
}

/**
 * A call to the Kubernetes API failed: the API server cannot be reached (`status` null,
 * `systemCode` e.g. `ECONNREFUSED`), or it refused the call (`status` 403 for a missing RBAC
 * permission, 404 for a missing namespace, 422 for an invalid pod spec). `apiMessage` is the API
 * server's own message.
 *
 * @example
 * fromKubernetesPod(image, { namespace: 'no-such-namespace' }).subscribe({
 *   error: (e) => {
 *     if (!(e instanceof KubernetesApiError)) throw e;
 *     console.log(e.operation, e.status, e.apiMessage); // create 404 namespaces "no-such-namespace" not found
 *   },
 * });
 */
export class KubernetesApiError extends OpenEnvError {
  constructor(
    /** What was being done: `create`, `watch`, `delete`, `read`. */
    readonly operation: string,
    /** HTTP status of the API server's answer; `null` when there was none. */
    readonly status: number | null,
    readonly apiMessage: string,
    /** The system error code (`ECONNREFUSED`, `ENOTFOUND`, ...) when the API server was not reached. */
    readonly systemCode: string | undefined,
    context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    const what = status !== null ? `answered ${status}` : `could not be reached${systemCode ? ` (${systemCode})` : ''}`;
    super(`Kubernetes API ${operation} failed: the API server${typeof context['server'] === 'string' ? ` ${context['server']}` : ''} ${what}${apiMessage ? `: ${apiMessage}` : ''}`, 'ERR_K8S_API', context, options);
  }

  /**
   * True when trying again later may succeed: no answer (unreachable, restarting), a 5xx, 408 or
   * 429. False for a refusal only the caller can fix (403 RBAC, 404 namespace, 422 invalid spec).
   */
  get transient(): boolean {
    return this.status === null || this.status >= 500 || this.status === 408 || this.status === 429;
  }
}
