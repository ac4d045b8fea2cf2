import type { V1ConfigMap } from '@kubernetes/client-node';
import { firstValueFrom, switchMap, toArray } from 'rxjs';
import { fromKubernetesPod } from '../../src/runtime/kubernetes/from-kubernetes-pod.js';
import { POD_LABEL } from '../../src/runtime/kubernetes/pod-labels.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { Echo, say } from '../faults/support/echo-env.js';
import { clusterSuite } from '../support/cluster-suite.js';
import { holdFirst, podsOwnedByMe } from './support/cluster.js';
import { pollUntil } from '../support/poll.js';

// The image must already be in the cluster's nodes (no registry here):
// scripts/k8s-cluster.sh load "$(scripts/build-test-image.sh --fixture | tail -1)", or kind load docker-image.
const cluster = await clusterSuite();
const { api, namespace } = cluster;

cluster.describe('fromKubernetesPod on a real cluster', () => {
  let image: string;
  const options = () => ({ kubeConfig: cluster.kubeConfig, namespace, imagePullPolicy: 'Never' as const, startTimeoutMs: 90_000 });

  beforeAll(async () => {
    image = await cluster.image('fixture');
  }, 180_000);

  it('creates a labelled pod with the options on subscribe, emits once /health answers on the pod IP, deletes it (awaited gone) on unsubscribe', async () => {
    const { value: endpoint, subscription } = await holdFirst(
      fromKubernetesPod(image, { ...options(), connectVia: 'pod-ip', env: { ECHO_MARK: 'k8s' }, labels: { team: 'rl' }, resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } } }),
    );
    expect(endpoint).toMatchObject({ kind: 'kubernetes', namespace, id: endpoint.podName, via: 'pod-ip' });
    expect(endpoint.url).toBe(`http://${endpoint.podIP}:8000`);
    const pod = await api.readNamespacedPod({ name: endpoint.podName, namespace });
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.podIP).toBe(endpoint.podIP);
    expect(pod.metadata?.labels).toMatchObject({ team: 'rl', [POD_LABEL.managed]: '1', [POD_LABEL.ownerPid]: String(process.pid) });
    const container = pod.spec!.containers[0]!;
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'ECHO_MARK', value: 'k8s' }]));
    expect(container.resources?.limits).toEqual({ memory: '256Mi' });
    expect(pod.spec?.restartPolicy).toBe('Never');
    const health = await fetch(`${endpoint.url}/health`);
    expect(health.status).toBe(200);

    subscription.unsubscribe();
    await awaitRuntimeTeardowns();
    await expect(api.readNamespacedPod({ name: endpoint.podName, namespace })).rejects.toMatchObject({ code: 404 });
  }, 120_000);

  it('connectVia port-forward: the session runs an episode over a 127.0.0.1 port forwarded through the API server', async () => {
    const steps = await firstValueFrom(
      Echo.fromKubernetesPod(image, { ...options(), connectVia: 'port-forward', transport: 'ws' }).pipe(
        switchMap((env) => env.episode((_, last) => say(last.index + 1), { maxSteps: 3 }).pipe(toArray())),
      ),
    );
    expect(steps.at(-1)?.observation.echoed_message).toBe('m3');
  }, 120_000);

  it('the port-forward endpoint is on 127.0.0.1 and closes with the subscription', async () => {
    const { value: endpoint, subscription } = await holdFirst(fromKubernetesPod(image, { ...options(), connectVia: 'port-forward' }));
    expect(endpoint.via).toBe('port-forward');
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${endpoint.url}/health`)).status).toBe(200);
    subscription.unsubscribe();
    await expect(fetch(`${endpoint.url}/health`)).rejects.toThrow();
  }, 120_000);

  it('ownerReferences tie the pod to an object of the user', async () => {
    const owner: V1ConfigMap = await api.createNamespacedConfigMap({ namespace, body: { metadata: { generateName: 'openenv-rx-owner-', labels: { [POD_LABEL.managed]: 'test' } } } });
    try {
      const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata!.name!, uid: owner.metadata!.uid! };
      const { value: endpoint, subscription } = await holdFirst(fromKubernetesPod(image, { ...options(), ownerReferences: [ref] }));
      const pod = await api.readNamespacedPod({ name: endpoint.podName, namespace });
      expect(pod.metadata?.ownerReferences).toEqual([expect.objectContaining(ref)]);
      subscription.unsubscribe();
    } finally {
      await api.deleteNamespacedConfigMap({ name: owner.metadata!.name!, namespace });
    }
  }, 120_000);

  it('unsubscribing while the pod starts deletes it', async () => {
    const subscription = fromKubernetesPod(image, options()).subscribe({ error: () => undefined });
    await pollUntil(async () => (await podsOwnedByMe(api, namespace)).length === 1, 'the pod to be created', { timeoutMs: 30_000, intervalMs: 100 });
    subscription.unsubscribe();
    await awaitRuntimeTeardowns();
    expect(await podsOwnedByMe(api, namespace)).toEqual([]);
  }, 60_000);
});
