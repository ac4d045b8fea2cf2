import { firstValueFrom } from 'rxjs';
import {
  KubernetesCrashError,
  KubernetesEvictedError,
  KubernetesImagePullError,
  KubernetesOomKilledError,
  KubernetesPodDeletedError,
  KubernetesUnschedulableError,
  isPermanentStartFailure,
} from '../../src/errors/index.js';
import { fromKubernetesPod } from '../../src/runtime/kubernetes/from-kubernetes-pod.js';
import { Echo, say } from '../faults/support/echo-env.js';
import { sessionFailure } from '../faults/support/session-runs.js';
import { clusterSuite } from '../support/cluster-suite.js';
import { holdFirst, podsOwnedByMe } from './support/cluster.js';

// Each failure caused for real on the cluster; the image must be on the node (see pod-lifecycle).
const cluster = await clusterSuite();
const { api, namespace } = cluster;
/** Well under the start timeout: a permanent failure must not wait for it. */
const AT_ONCE_MS = 60_000;

cluster.describe('fromKubernetesPod failures on a real cluster', () => {
  let image: string;
  const options = () => ({ kubeConfig: cluster.kubeConfig, namespace, imagePullPolicy: 'Never' as const, startTimeoutMs: 100_000 });
  const startError = async (...args: Parameters<typeof fromKubernetesPod>): Promise<{ error: unknown; ms: number }> => {
    const started = Date.now();
    const error = await firstValueFrom(fromKubernetesPod(...args)).then(
      () => new Error('started'),
      (e: unknown) => e,
    );
    return { error, ms: Date.now() - started };
  };

  beforeAll(async () => {
    image = await cluster.image('fixture');
  }, 180_000);

  it('an image the node does not have (imagePullPolicy Never): KubernetesImagePullError ErrImageNeverPull at once, permanent, with the pod events', async () => {
    const { error, ms } = await startError('openenv-rx-k8s-absent:never', options());
    expect(error).toBeInstanceOf(KubernetesImagePullError);
    expect(error).toMatchObject({ code: 'ERR_K8S_IMAGE_PULL', reason: 'ErrImageNeverPull' });
    expect(isPermanentStartFailure(error)).toBe(true);
    expect((error as KubernetesImagePullError).events.join('\n')).toMatch(/ErrImageNeverPull|not present with pull policy of Never/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  }, 120_000);

  it('an image no registry has (IfNotPresent, nothing reachable): KubernetesImagePullError ErrImagePull/ImagePullBackOff', async () => {
    const { error, ms } = await startError('openenv-rx-k8s-absent.invalid/none:never', { ...options(), imagePullPolicy: 'IfNotPresent' });
    expect(error).toBeInstanceOf(KubernetesImagePullError);
    expect((error as KubernetesImagePullError).reason).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  }, 120_000);

  it('a server that exits 1 while starting: KubernetesCrashError with the exit code and its last log lines', async () => {
    const { error } = await startError(image, { ...options(), env: { ECHO_CRASH_AT_START: '1' } });
    expect(error).toBeInstanceOf(KubernetesCrashError);
    const crash = error as KubernetesCrashError;
    expect(crash).toMatchObject({ code: 'ERR_K8S_CRASH', exitCode: 1 });
    expect(crash.logTail.length).toBeGreaterThan(5);
    expect(crash.logTail.at(-1)).toBe('fatal: crashing on purpose'); // after 60 numbered lines
    expect(isPermanentStartFailure(error)).toBe(true);
  }, 120_000);

  it('a nodeSelector no node matches: KubernetesUnschedulableError with the scheduler reason, after schedulingTimeoutMs', async () => {
    const { error, ms } = await startError(image, { ...options(), nodeSelector: { 'openenv-rx/no-such-node': 'x' }, schedulingTimeoutMs: 2_000 });
    expect(error).toBeInstanceOf(KubernetesUnschedulableError);
    const unschedulable = error as KubernetesUnschedulableError;
    expect(unschedulable.podMessage).toMatch(/node affinity\/selector/);
    expect(unschedulable.events.join('\n')).toMatch(/FailedScheduling/);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  }, 120_000);

  it('a memory request no node has: KubernetesUnschedulableError naming Insufficient memory', async () => {
    const { error } = await startError(image, { ...options(), resources: { requests: { memory: '64Ti' } }, schedulingTimeoutMs: 2_000 });
    expect(error).toBeInstanceOf(KubernetesUnschedulableError);
    expect((error as KubernetesUnschedulableError).podMessage).toMatch(/Insufficient memory/);
  }, 120_000);

  it('a server that exceeds its memory limit: KubernetesOomKilledError', async () => {
    // The fixture image runs node: allocate (and touch) 1 MiB buffers until the 48 MiB limit kills it.
    const { error } = await startError(image, {
      ...options(),
      args: ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));'],
      resources: { limits: { memory: '48Mi' } },
    });
    expect(error).toBeInstanceOf(KubernetesOomKilledError);
    expect(error).toMatchObject({ code: 'ERR_K8S_OOM_KILLED', reason: 'OOMKilled' });
  }, 120_000);

  it('the pod deleted through the API mid-episode: the session fails with KubernetesPodDeletedError', async () => {
    let podName: string | undefined;
    const { sessionError } = await sessionFailure(
      Echo.fromKubernetesPod(image, { ...options(), transport: 'ws' }),
      (env) =>
        env.episode(
          async (_, last) => {
            if (last.index === 2) {
              [podName] = await podsOwnedByMe(api, namespace);
              await api.deleteNamespacedPod({ name: podName!, namespace, gracePeriodSeconds: 0 });
            }
            return say(last.index + 1);
          },
          { maxSteps: 50 },
        ),
      60_000,
    );
    expect(sessionError).toBeInstanceOf(KubernetesPodDeletedError);
    expect(sessionError).toMatchObject({ code: 'ERR_K8S_POD_DELETED', context: { env: 'echo', pod: podName, namespace } });
    expect(isPermanentStartFailure(sessionError)).toBe(false);
  }, 120_000);

  it('the pod evicted through the Eviction API: failure$ errors with KubernetesEvictedError', async () => {
    const { value: endpoint, subscription } = await holdFirst(fromKubernetesPod(image, options()));
    try {
      const failed = firstValueFrom(endpoint.failure$!).catch((e: unknown) => e);
      await api.createNamespacedPodEviction({ name: endpoint.podName, namespace, body: { metadata: { name: endpoint.podName, namespace } } });
      const error = await failed;
      expect(error).toBeInstanceOf(KubernetesEvictedError);
      expect(error).toMatchObject({ code: 'ERR_K8S_EVICTED', reason: 'Evicted' });
    } finally {
      subscription.unsubscribe();
    }
  }, 120_000);
});
