import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * The pod serving a session ended, or never ran: its image cannot be pulled (`ErrImagePull`,
 * `ImagePullBackOff`, `ErrImageNeverPull`), its container keeps crashing (`CrashLoopBackOff`) or
 * exited, it cannot be created (`CreateContainerConfigError`), it failed or was deleted by someone
 * else. `reason` is the container's waiting/terminated reason or the pod's phase; `podMessage`
 * what the kubelet said.
 *
 * @example
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
