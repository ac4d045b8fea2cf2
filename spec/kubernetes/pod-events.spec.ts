import type { CoreV1Event } from '@kubernetes/client-node';
import { describePodEvents } from '../../src/runtime/kubernetes/pod-events.js';

// Events as a v1.34 cluster lists them for one pod: the kubelet's with whole-second
// first/lastTimestamp, the scheduler's (events.k8s.io) with a microsecond eventTime only.
const at = (iso: string) => new Date(iso);
const kubelet = (reason: string, message: string, rv: number, first: string, count = 1, last = first): CoreV1Event => ({
  involvedObject: {},
  metadata: { resourceVersion: String(rv) },
  reason,
  message,
  count,
  firstTimestamp: at(first),
  lastTimestamp: at(last),
});
const scheduler = (message: string, rv: number, eventTime: string): CoreV1Event => ({ involvedObject: {}, metadata: { resourceVersion: String(rv) }, reason: 'Scheduled', message, eventTime: at(eventTime) });

describe('describePodEvents', () => {
  it('oldest first by first occurrence to the second, then in the API server order: the scheduler event with its finer time is not put after the kubelet events of its second', () => {
    const listed = [
      kubelet('Pulled', 'Container image "x" already present on machine', 105, '2026-12-07T09:46:11Z'),
      kubelet('MissingClusterDNS', 'kubelet does not have ClusterDNS IP configured', 130, '2026-12-07T09:46:11Z', 3, '2026-12-07T09:46:13Z'),
      kubelet('Started', 'Started container server', 112, '2026-12-07T09:46:12Z'),
      scheduler('Successfully assigned default/p to openenv-rx-node', 101, '2026-12-07T09:46:11.734562Z'),
      kubelet('Created', 'Created container: server', 110, '2026-12-07T09:46:11Z'),
    ];
    expect(describePodEvents(listed)).toEqual([
      'Scheduled: Successfully assigned default/p to openenv-rx-node',
      'Pulled: Container image "x" already present on machine',
      'Created: Created container: server',
      'MissingClusterDNS: kubelet does not have ClusterDNS IP configured (x3)',
      'Started: Started container server',
    ]);
  });

  it('an event with no time sorts first; one without a reason is "Event"; the input is left as it was', () => {
    const listed: CoreV1Event[] = [kubelet('Killing', 'Stopping container server', 200, '2026-12-07T10:00:00Z'), { involvedObject: {}, metadata: {}, message: ' no time ' }];
    const copy = [...listed];
    expect(describePodEvents(listed)).toEqual(['Event: no time', 'Killing: Stopping container server']);
    expect(listed).toEqual(copy);
  });
});
