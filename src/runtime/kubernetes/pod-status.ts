import type { V1Pod } from '@kubernetes/client-node';

/** Where a pod stands, as far as a session cares. */
export type PodStatus =
  | { kind: 'pending'; detail: string }
  | { kind: 'running'; podIP: string }
  | { kind: 'failed'; reason: string; message: string; exitCode: number | null };

/** Waiting reasons that never resolve by themselves for a pod we created: fail at once. */
const PERMANENT_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'CrashLoopBackOff', 'RunContainerError']);

/** Classifies a pod seen in a watch event or a read. */
export function podStatus(pod: V1Pod): PodStatus {
  const status = pod.status ?? {};
  const container = status.containerStatuses?.[0];
  const waiting = container?.state?.waiting;
  const terminated = container?.state?.terminated;
  if (terminated) {
    return { kind: 'failed', reason: terminated.reason ?? 'Terminated', message: terminated.message ?? '', exitCode: terminated.exitCode ?? null };
  }
  if (status.phase === 'Failed' || status.phase === 'Succeeded') {
    return { kind: 'failed', reason: status.reason ?? status.phase, message: status.message ?? '', exitCode: null };
  }
  if (waiting?.reason && PERMANENT_WAITING.has(waiting.reason)) {
    return { kind: 'failed', reason: waiting.reason, message: waiting.message ?? '', exitCode: null };
  }
  if (status.phase === 'Running' && container?.state?.running && status.podIP) return { kind: 'running', podIP: status.podIP };
  return { kind: 'pending', detail: waiting?.reason ?? status.phase ?? 'Pending' };
}
