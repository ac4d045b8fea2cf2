import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import {
  KubernetesCrashError,
  KubernetesEvictedError,
  KubernetesImagePullError,
  KubernetesOomKilledError,
  KubernetesPodDeletedError,
  KubernetesPodError,
  KubernetesUnschedulableError,
  isPermanentStartFailure,
} from '../../src/errors/index.js';
import { podFailureError } from '../../src/runtime/kubernetes/pod-failure-error.js';
import { podManifest } from '../../src/runtime/kubernetes/pod-manifest.js';
import { POD_LABEL } from '../../src/runtime/kubernetes/pod-labels.js';
import { podStatus, type PodStatus } from '../../src/runtime/kubernetes/pod-status.js';

// Pod objects shaped as the kubelet and the scheduler report them (phase, podIP, conditions,
// containerStatuses[].state / lastState), as seen in watch events on a v1.34 cluster.
const pod = (status: V1Pod['status'], metadata: V1Pod['metadata'] = {}): V1Pod => ({ metadata: { name: 'p', ...metadata }, status });
const container = (state: V1ContainerStatus['state'], lastState?: V1ContainerStatus['lastState']): V1ContainerStatus => ({
  name: 'server',
  image: 'i',
  imageID: '',
  ready: false,
  restartCount: 0,
  state,
  ...(lastState && { lastState }),
});

describe('podStatus', () => {
  it('is running only when the phase is Running, the container runs and the pod has an IP', () => {
    expect(podStatus(pod({ phase: 'Running', podIP: '10.244.77.5', containerStatuses: [container({ running: {} })] }))).toEqual({ kind: 'running', podIP: '10.244.77.5' });
    expect(podStatus(pod({ phase: 'Pending' }))).toEqual({ kind: 'pending', detail: 'Pending' });
    expect(podStatus(pod({ phase: 'Pending', containerStatuses: [container({ waiting: { reason: 'ContainerCreating' } })] }))).toEqual({ kind: 'pending', detail: 'ContainerCreating' });
  });

  it.each(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName'])('%s is an image-pull failure', (reason) => {
    expect(podStatus(pod({ phase: 'Pending', containerStatuses: [container({ waiting: { reason, message: 'why' } })] }))).toEqual({ kind: 'failed', failure: 'image-pull', reason, message: 'why', exitCode: null });
  });

  it('CrashLoopBackOff is a crash with the previous exit code; OOMKilled before it makes it an OOM kill', () => {
    const crash = podStatus(pod({ phase: 'Running', containerStatuses: [container({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } }, { terminated: { exitCode: 1, reason: 'Error' } })] }));
    expect(crash).toEqual({ kind: 'failed', failure: 'crash', reason: 'CrashLoopBackOff', message: 'back-off 10s', exitCode: 1 });
    const oom = podStatus(pod({ phase: 'Running', containerStatuses: [container({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 137, reason: 'OOMKilled' } })] }));
    expect(oom).toMatchObject({ failure: 'oom', reason: 'OOMKilled', exitCode: 137 });
  });

  it('a terminated container: OOMKilled is an OOM kill, any other end a crash with its exit code', () => {
    expect(podStatus(pod({ phase: 'Failed', containerStatuses: [container({ terminated: { exitCode: 137, reason: 'OOMKilled' } })] }))).toEqual({ kind: 'failed', failure: 'oom', reason: 'OOMKilled', message: '', exitCode: 137 });
    expect(podStatus(pod({ phase: 'Failed', containerStatuses: [container({ terminated: { exitCode: 1, reason: 'Error' } })] }))).toEqual({ kind: 'failed', failure: 'crash', reason: 'Error', message: '', exitCode: 1 });
  });

  it('evicted by the kubelet (phase Failed, reason Evicted) or through the Eviction API (DisruptionTarget while deleting)', () => {
    expect(podStatus(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }))).toEqual({ kind: 'failed', failure: 'evicted', reason: 'Evicted', message: 'The node was low on resource: memory.', exitCode: null });
    const evicting = pod(
      { phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }], containerStatuses: [container({ running: {} })] },
      { deletionTimestamp: new Date() },
    );
    expect(podStatus(evicting)).toMatchObject({ kind: 'failed', failure: 'evicted', message: 'Eviction API: evicting' });
  });

  it('a pod being deleted is "deleted" even once its container has exited from the SIGTERM', () => {
    const deleting = pod({ phase: 'Running', containerStatuses: [container({ terminated: { exitCode: 143, reason: 'Error' } })] }, { deletionTimestamp: new Date() });
    expect(podStatus(deleting)).toMatchObject({ kind: 'failed', failure: 'deleted', reason: 'Deleted' });
  });

  it('a running pod whose node stopped reporting (the node controller set Ready False, no reason) is node-lost; a kubelet-reported not-ready is not', () => {
    const running = { phase: 'Running', podIP: '10.244.77.5', containerStatuses: [container({ running: {} })] };
    // MarkPodsNotReady (node lifecycle controller) flips the Ready condition and keeps its (empty) reason.
    const nodeLost = pod({ ...running, conditions: [{ type: 'Ready', status: 'False' }] }, {});
    nodeLost.spec = { nodeName: 'node-a', containers: [] };
    expect(podStatus(nodeLost)).toEqual({ kind: 'failed', failure: 'node-lost', reason: 'NodeNotReady', message: 'node node-a stopped reporting to the API server (the node controller marked the pod not ready)', exitCode: null });
    // The kubelet's own not-ready carries a reason, and a pod still starting up is pending, not lost.
    expect(podStatus(pod({ ...running, conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }] }))).toEqual({ kind: 'running', podIP: '10.244.77.5' });
    expect(podStatus(pod({ ...running, conditions: [{ type: 'Ready', status: 'True' }] }))).toEqual({ kind: 'running', podIP: '10.244.77.5' });
  });

  it('PodScheduled False/Unschedulable is unschedulable with the scheduler message; CreateContainerConfigError fails', () => {
    const message = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";
    expect(podStatus(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] }))).toEqual({ kind: 'unschedulable', message });
    expect(podStatus(pod({ phase: 'Pending', containerStatuses: [container({ waiting: { reason: 'CreateContainerConfigError', message: 'secret "x" not found' } })] }))).toMatchObject({ failure: 'other', reason: 'CreateContainerConfigError' });
  });
});

describe('podFailureError', () => {
  const details = { events: ['Scheduled: assigned p to node', 'Failed: boom'], logTail: ['last line'] };
  const failed = (failure: Extract<PodStatus, { kind: 'failed' }>['failure'], reason: string, exitCode: number | null = null): PodStatus & { kind: 'failed' } => ({ kind: 'failed', failure, reason, message: 'm', exitCode });

  it.each([
    [failed('image-pull', 'ErrImageNeverPull'), KubernetesImagePullError, 'ERR_K8S_IMAGE_PULL', true],
    [failed('crash', 'Error', 1), KubernetesCrashError, 'ERR_K8S_CRASH', true],
    [failed('oom', 'OOMKilled', 137), KubernetesOomKilledError, 'ERR_K8S_OOM_KILLED', true],
    [failed('evicted', 'Evicted'), KubernetesEvictedError, 'ERR_K8S_EVICTED', false],
    [failed('deleted', 'Deleted'), KubernetesPodDeletedError, 'ERR_K8S_POD_DELETED', false],
    [failed('node-lost', 'NodeNotReady'), KubernetesPodError, 'ERR_K8S_POD', false],
    [failed('other', 'CreateContainerConfigError'), KubernetesPodError, 'ERR_K8S_POD', true],
    [{ kind: 'unschedulable', message: '0/1 nodes are available' } as const, KubernetesUnschedulableError, 'ERR_K8S_UNSCHEDULABLE', true],
  ] as const)('%o: its class and code, the events and log tail in fields and message; permanent while starting unless deleted/evicted/node lost', (status, type, code, permanentAtStart) => {
    const error = podFailureError(status, { pod: 'p', namespace: 'ns' }, details, true);
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(KubernetesPodError);
    expect(error).toMatchObject({ code, events: details.events, logTail: details.logTail, context: { pod: 'p', namespace: 'ns' } });
    expect(error.message).toContain('Failed: boom');
    expect(error.message).toContain('last line');
    expect(isPermanentStartFailure(error)).toBe(permanentAtStart);
    // Once running, nothing is marked permanent: a pool replaces the pod.
    expect(isPermanentStartFailure(podFailureError(status, {}, details, false))).toBe(false);
  });
});

describe('podManifest', () => {
  it('one container, never restarted, owner labels valid as Kubernetes label values, options mapped', () => {
    const manifest = podManifest('openenv-rx-abc', 'img:1', {
      env: { A: 'b' },
      containerPort: 9000,
      labels: { team: 'rl' },
      imagePullPolicy: 'Never',
      command: ['node'],
      args: ['x'],
      resources: { limits: { memory: '64Mi' } },
      nodeSelector: { pool: 'envs' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'envs', effect: 'NoSchedule' }],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'train', uid: '1234' }],
    });
    expect(manifest.spec).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false, nodeSelector: { pool: 'envs' }, tolerations: [{ key: 'dedicated' }] });
    expect(manifest.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'train', uid: '1234' }]);
    const server = manifest.spec!.containers[0]!;
    expect(server).toMatchObject({ image: 'img:1', imagePullPolicy: 'Never', command: ['node'], args: ['x'], ports: [{ containerPort: 9000 }], resources: { limits: { memory: '64Mi' } } });
    expect(server.env).toEqual([{ name: 'PORT', value: '9000' }, { name: 'A', value: 'b' }]);
    const labels = manifest.metadata!.labels!;
    expect(labels).toMatchObject({ team: 'rl', [POD_LABEL.managed]: '1', [POD_LABEL.ownerPid]: String(process.pid) });
    for (const value of Object.values(labels)) expect(value).toMatch(/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/);
  });

  it('a service account replaces the no-token default', () => {
    const spec = podManifest('n', 'img:1', { serviceAccountName: 'envs' }).spec!;
    expect(spec.serviceAccountName).toBe('envs');
    expect(spec.automountServiceAccountToken).toBeUndefined();
  });
});
