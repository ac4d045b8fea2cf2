import type { V1Pod } from '@kubernetes/client-node';
import { podManifest } from '../../src/runtime/kubernetes/pod-manifest.js';
import { POD_LABEL } from '../../src/runtime/kubernetes/pod-labels.js';
import { podStatus } from '../../src/runtime/kubernetes/pod-status.js';

// Pod status blocks shaped as the kubelet reports them (phase, podIP, containerStatuses[].state).
const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p' }, status });

describe('podStatus', () => {
  it('is running only when the phase is Running, the container runs and the pod has an IP', () => {
    expect(podStatus(pod({ phase: 'Running', podIP: '10.244.77.5', containerStatuses: [{ name: 'server', image: 'i', imageID: '', ready: false, restartCount: 0, state: { running: {} } }] }))).toEqual({ kind: 'running', podIP: '10.244.77.5' });
    expect(podStatus(pod({ phase: 'Pending' }))).toEqual({ kind: 'pending', detail: 'Pending' });
    expect(podStatus(pod({ phase: 'Pending', containerStatuses: [{ name: 'server', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }))).toEqual({ kind: 'pending', detail: 'ContainerCreating' });
  });

  it.each(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'CrashLoopBackOff', 'CreateContainerConfigError'])('%s is a permanent failure', (reason) => {
    const status = podStatus(pod({ phase: 'Pending', containerStatuses: [{ name: 'server', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message: 'why' } } }] }));
    expect(status).toEqual({ kind: 'failed', reason, message: 'why', exitCode: null });
  });

  it('a terminated container fails with its reason and exit code; a Failed pod (evicted) with the pod reason', () => {
    expect(podStatus(pod({ phase: 'Failed', containerStatuses: [{ name: 'server', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }))).toEqual({ kind: 'failed', reason: 'OOMKilled', message: '', exitCode: 137 });
    expect(podStatus(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }))).toEqual({ kind: 'failed', reason: 'Evicted', message: 'The node was low on resource: memory.', exitCode: null });
  });
});

describe('podManifest', () => {
  it('one container, never restarted, owner labels valid as Kubernetes label values, options mapped', () => {
    const manifest = podManifest('openenv-rx-abc', 'img:1', { env: { A: 'b' }, containerPort: 9000, labels: { team: 'rl' }, imagePullPolicy: 'Never', args: ['x'] });
    expect(manifest.spec?.restartPolicy).toBe('Never');
    expect(manifest.spec?.automountServiceAccountToken).toBe(false);
    const container = manifest.spec!.containers[0]!;
    expect(container).toMatchObject({ image: 'img:1', imagePullPolicy: 'Never', args: ['x'], ports: [{ containerPort: 9000 }] });
    expect(container.env).toEqual([{ name: 'PORT', value: '9000' }, { name: 'A', value: 'b' }]);
    const labels = manifest.metadata!.labels!;
    expect(labels).toMatchObject({ team: 'rl', [POD_LABEL.managed]: '1', [POD_LABEL.ownerPid]: String(process.pid) });
    for (const value of Object.values(labels)) expect(value).toMatch(/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/);
  });
});
