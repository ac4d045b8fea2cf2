import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * The pod serving a session ended, or never ran: its image cannot be pulled (`ErrImagePull`,
 * `ImagePullBackOff`, `ErrImageNeverPull`), its container keeps crashing (`CrashLoopBackOff`) or
 * exited, it cannot be created (`CreateContainerConfigError`), it failed or was deleted by someone
 * else. `reason` is the container's waiting/terminated reason or the pod's phase; `podMessage`
 * what the kubelet said.
 *
 * @example <caption>doctest: skip (fromKubernetesPod is not exported yet, issue 27; spec/kubernetes/*.k8s-spec.ts meet this error on a cluster)</caption>
 * fromKubernetesPod(image).subscribe({
 *   error: (e) => e instanceof KubernetesPodError && console.log(e.reason, e.podMessage, e.exitCode),
 * });
 */
export class KubernetesPodError extends OpenEnvError {
  constructor(
    /** e.g. `ErrImageNeverPull`, `CrashLoopBackOff`, `Failed`, `Deleted`. */
    readonly reason: string,
    /** The kubelet's message for that reason (may be empty). */
    readonly podMessage: string,
    /** The container's exit code when it ran and exited; `null` otherwise. */
    readonly exitCode: number | null,
    context: ErrorContext = {},
  ) {
    const pod = typeof context['pod'] === 'string' ? ` ${context['pod']}` : '';
    const exit = exitCode !== null ? ` (exit code ${exitCode})` : '';
    super(`The env's Kubernetes pod${pod} is ${reason}${podMessage ? `: ${podMessage}` : ''}${exit}`, 'ERR_K8S_POD', context);
  }
}

/**
 * A call to the Kubernetes API failed: the API server cannot be reached (`status` null,
 * `systemCode` e.g. `ECONNREFUSED`), or it refused the call (`status` 403 for a missing RBAC
 * permission, 404 for a missing namespace, 422 for an invalid pod spec). `apiMessage` is the API
 * server's own message.
 *
 * @example <caption>doctest: skip (fromKubernetesPod is not exported yet, issue 27; spec/kubernetes/*.k8s-spec.ts meet this error on a cluster)</caption>
 * fromKubernetesPod(image, { namespace: 'envs' }).subscribe({
 *   error: (e) => e instanceof KubernetesApiError && console.log(e.operation, e.status, e.apiMessage),
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
}
