import type { V1Pod } from '@kubernetes/client-node';

/** Which typed error a failed pod becomes (see `podFailureError`). */
export type PodFailureKind = 'image-pull' | 'crash' | 'oom' | 'evicted' | 'deleted' | 'node-lost' | 'other';

/** Where a pod stands, as far as a session cares. */
export type PodStatus =
  | { kind: 'pending'; detail: string }
  /** The scheduler found no node; `message` says why. May resolve (an autoscaler adds a node). */
  | { kind: 'unschedulable'; message: string }
  | { kind: 'running'; podIP: string }
  | { kind: 'failed'; failure: PodFailureKind; reason: string; message: string; exitCode: number | null };

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);
const CRASH = new Set(['CrashLoopBackOff', 'RunContainerError', 'CreateContainerError']);
/** Waiting reasons that never resolve by themselves for a pod we created: fail at once. */
const OTHER_PERMANENT = new Set(['CreateContainerConfigError']);
/** `DisruptionTarget` reasons that are an eviction (API eviction, kubelet pressure, taint manager). */
const EVICTION = new Set(['EvictionByEvictionAPI', 'TerminationByKubelet', 'DeletionByTaintManager', 'PreemptionByScheduler']);

const failed = (failure: PodFailureKind, reason: string, message: string | undefined, exitCode: number | null = null): PodStatus => ({
  kind: 'failed',
  failure,
  reason,
  message: message ?? '',
  exitCode,
});

/**
 * Classifies a pod seen in a watch event or a read. A pod being deleted (`deletionTimestamp`) is
 * classified as deleted or evicted before its container's exit is seen, so the error names the
 * cause, not the SIGTERM the container got from it (the caller ignores its own deletion).
 */
export function podStatus(pod: V1Pod): PodStatus {
  const status = pod.status ?? {};
  const disruption = status.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  if (pod.metadata?.deletionTimestamp) {
    if (disruption?.reason && EVICTION.has(disruption.reason)) return failed('evicted', 'Evicted', disruption.message ?? disruption.reason);
    return failed('deleted', 'Deleted', 'the pod was deleted by someone else');
  }
  if (status.phase === 'Failed' && status.reason === 'Evicted') return failed('evicted', 'Evicted', status.message);
  const container = status.containerStatuses?.[0];
  const waiting = container?.state?.waiting;
  const terminated = container?.state?.terminated;
  if (terminated) {
    const exitCode = terminated.exitCode ?? null;
    if (terminated.reason === 'OOMKilled') return failed('oom', 'OOMKilled', terminated.message, exitCode);
    return failed('crash', terminated.reason ?? 'Terminated', terminated.message, exitCode);
  }
  if (status.phase === 'Failed' || status.phase === 'Succeeded') return failed('other', status.reason ?? status.phase, status.message);
  if (waiting?.reason) {
    if (IMAGE_PULL.has(waiting.reason)) return failed('image-pull', waiting.reason, waiting.message);
    if (CRASH.has(waiting.reason)) {
      // A restarted container's previous end says why it loops (OOMKilled, its exit code).
      const last = container?.lastState?.terminated;
      if (last?.reason === 'OOMKilled') return failed('oom', 'OOMKilled', waiting.message, last.exitCode ?? null);
      return failed('crash', waiting.reason, waiting.message, last?.exitCode ?? null);
    }
    if (OTHER_PERMANENT.has(waiting.reason)) return failed('other', waiting.reason, waiting.message);
  }
  if (status.phase === 'Running' && container?.state?.running && status.podIP) {
    // The node lifecycle controller (MarkPodsNotReady) flips Ready to False and keeps its empty
    // reason when the node stops reporting; the kubelet's own not-ready always names a reason.
    // Without a readiness probe (we set none) nothing else turns a running pod not ready.
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'False' && !ready.reason) {
      const node = pod.spec?.nodeName ?? 'of the pod';
      return failed('node-lost', 'NodeNotReady', `node ${node} stopped reporting to the API server (the node controller marked the pod not ready)`);
    }
    return { kind: 'running', podIP: status.podIP };
  }
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') return { kind: 'unschedulable', message: scheduled.message ?? '' };
  return { kind: 'pending', detail: waiting?.reason ?? status.phase ?? 'Pending' };
}
