import type { CoreV1Event } from '@kubernetes/client-node';

/** A Kubernetes event as `Reason: message` (with its count when repeated). */
function describeEvent(event: CoreV1Event): string {
  const count = event.count && event.count > 1 ? ` (x${event.count})` : '';
  return `${event.reason ?? 'Event'}: ${(event.message ?? '').trim()}${count}`;
}

/**
 * When an event first happened, to the second: the kubelet's events carry whole seconds
 * (`firstTimestamp`), the scheduler's a microsecond `eventTime`, so finer times would put a
 * scheduler event after the kubelet events of the same second that followed it.
 */
const firstSecond = (event: CoreV1Event): number =>
  Math.floor(new Date(event.firstTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp ?? event.lastTimestamp ?? 0).getTime() / 1000);

/** Order of creation within a second: the event object's version (etcd's revision) at its last write. */
const revision = (event: CoreV1Event): number => Number(event.metadata?.resourceVersion ?? 0) || 0;

/**
 * A pod's events, oldest first (by first occurrence, then by the API server's order), each as
 * `Reason: message`, e.g. `FailedScheduling: 0/1 nodes are available: ... (x3)`.
 */
export function describePodEvents(events: readonly CoreV1Event[]): string[] {
  return [...events].sort((a, b) => firstSecond(a) - firstSecond(b) || revision(a) - revision(b)).map(describeEvent);
}
