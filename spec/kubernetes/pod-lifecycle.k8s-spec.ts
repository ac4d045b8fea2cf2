import { CoreV1Api } from '@kubernetes/client-node';
import { firstValueFrom, type Subscription } from 'rxjs';
import { KubernetesPodError } from '../../src/errors/index.js';
import { fromKubernetesPod, type KubernetesPodEndpoint } from '../../src/runtime/kubernetes/from-kubernetes-pod.js';
import { POD_LABEL } from '../../src/runtime/kubernetes/pod-labels.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { describeWithCluster, loadCluster, podsOwnedByMe } from './support/cluster.js';
import { pollUntil } from '../support/poll.js';

// The image must already be in the cluster's nodes (no registry here):
// scripts/k8s-cluster.sh load "$(scripts/build-test-image.sh --fixture | tail -1)", or kind load docker-image.
const cluster = await loadCluster();
const namespace = process.env['OPENENV_RX_K8S_NAMESPACE'] ?? 'default';

describeWithCluster(cluster)('fromKubernetesPod on a real cluster', () => {
  let api: CoreV1Api;
  let image: string;
  const options = () => ({ kubeConfig: cluster.kubeConfig, namespace, imagePullPolicy: 'Never' as const, startTimeoutMs: 90_000 });

  beforeAll(async () => {
    if (!cluster.reachable) throw new Error(`CI=true but no reachable Kubernetes cluster: ${cluster.why}`);
    api = cluster.kubeConfig.makeApiClient(CoreV1Api);
    image = process.env['OPENENV_RX_K8S_IMAGE'] ?? (await ensureTestImage());
  }, 180_000);

  afterEach(async () => {
    await awaitRuntimeTeardowns();
    expect(await podsOwnedByMe(api, namespace)).toEqual([]);
  }, 60_000);

  it('creates a labelled pod on subscribe, emits once /health answers on the pod IP, deletes it (awaited gone) on unsubscribe', async () => {
    let subscription: Subscription | undefined;
    const endpoint = await new Promise<KubernetesPodEndpoint>((resolve, reject) => {
      subscription = fromKubernetesPod(image, options()).subscribe({ next: resolve, error: reject });
    });
    expect(endpoint).toMatchObject({ kind: 'kubernetes', namespace, id: endpoint.podName });
    expect(endpoint.url).toBe(`http://${endpoint.podIP}:8000`);
    const pod = await api.readNamespacedPod({ name: endpoint.podName, namespace });
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.podIP).toBe(endpoint.podIP);
    expect(pod.metadata?.labels?.[POD_LABEL.ownerPid]).toBe(String(process.pid));
    const health = await fetch(`${endpoint.url}/health`);
    expect(health.status).toBe(200);

    subscription!.unsubscribe();
    await awaitRuntimeTeardowns();
    await expect(api.readNamespacedPod({ name: endpoint.podName, namespace })).rejects.toMatchObject({ code: 404 });
  }, 120_000);

  it('unsubscribing while the pod starts deletes it', async () => {
    const subscription = fromKubernetesPod(image, options()).subscribe({ error: () => undefined });
    await pollUntil(async () => (await podsOwnedByMe(api, namespace)).length === 1, 'the pod to be created', { timeoutMs: 30_000, intervalMs: 100 });
    subscription.unsubscribe();
    await awaitRuntimeTeardowns();
    expect(await podsOwnedByMe(api, namespace)).toEqual([]);
  }, 60_000);

  it('an image the node does not have fails at once with KubernetesPodError ErrImageNeverPull, and the pod is deleted', async () => {
    const started = Date.now();
    const error = await firstValueFrom(fromKubernetesPod('openenv-rx-k8s-absent:never', options())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesPodError);
    expect(error).toMatchObject({ code: 'ERR_K8S_POD', reason: 'ErrImageNeverPull' });
    expect(Date.now() - started).toBeLessThan(60_000); // not the 90 s start timeout
  }, 120_000);

  it('a server that exits fails the start with its exit code', async () => {
    const error = await firstValueFrom(fromKubernetesPod(image, { ...options(), args: ['-e', 'process.exit(3)'] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesPodError);
    expect(error).toMatchObject({ exitCode: 3 });
  }, 120_000);

  it('a pod deleted by someone else errors failure$ with reason Deleted', async () => {
    let subscription: Subscription | undefined;
    const endpoint = await new Promise<KubernetesPodEndpoint>((resolve, reject) => {
      subscription = fromKubernetesPod(image, options()).subscribe({ next: resolve, error: reject });
    });
    const failed = firstValueFrom(endpoint.failure$!).catch((e: unknown) => e);
    await api.deleteNamespacedPod({ name: endpoint.podName, namespace, gracePeriodSeconds: 0 });
    const error = await failed;
    expect(error).toBeInstanceOf(KubernetesPodError);
    expect(error).toMatchObject({ reason: expect.stringMatching(/^(Deleted|Error|Completed|Failed)$/) });
    subscription!.unsubscribe();
  }, 120_000);

  it('bad arguments error the Observable (cold), never throw at call time', async () => {
    const runtime$ = fromKubernetesPod('', options());
    await expect(firstValueFrom(runtime$)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
