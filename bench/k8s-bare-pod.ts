import { randomUUID } from 'node:crypto';
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { podOwnerLabels } from '../src/runtime/kubernetes/pod-labels.js';
import { bareReset, healthy } from './bare-container.js';
import { onCleanup } from './cleanup.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BOUND_MS = 120_000;

/** A pod the baseline started, with the deletion that ends it. */
export interface BarePod {
  name: string;
  url: string;
  /** Delete (same grace as openenv-rx's default, 1 s), then watch until the DELETED event. */
  remove(): Promise<void>;
}

/**
 * Resolves on the first watch event of pod `name` (from `resourceVersion` on) that `until`
 * accepts; rejects when `until` throws, after `BOUND_MS`, or when the watch ends first. What a hand-written client does.
 */
async function watchUntil(kubeConfig: KubeConfig, namespace: string, name: string, resourceVersion: string | undefined, until: (type: string, pod: V1Pod) => boolean): Promise<V1Pod> {
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<V1Pod>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`bare pod ${name}: no matching watch event in ${BOUND_MS} ms`)), BOUND_MS);
      new Watch(kubeConfig)
        .watch(
          `/api/v1/namespaces/${namespace}/pods`,
          { fieldSelector: `metadata.name=${name}`, ...(resourceVersion && { resourceVersion }) },
          (type, pod: V1Pod) => {
            try {
              if (until(type, pod)) resolve(pod);
            } catch (error) {
              reject(error); // `until` throws for a pod that will never match
            }
          },
          (error: unknown) => reject(error ?? new Error(`bare pod ${name}: the watch ended`)),
        )
        .then((c) => (controller = c), reject);
    });
  } finally {
    clearTimeout(timer);
    controller?.abort();
  }
}

/**
 * The Kubernetes baseline: bare `@kubernetes/client-node` `createNamespacedPod` (the same owner
 * labels, `restartPolicy: Never`, `imagePullPolicy: Never`), a watch on that pod until it is
 * Running with an IP, `/health` on the pod IP every `pollMs`, one bare `/ws` reset. No option
 * checks, no typed failures, no port-forward fallback.
 */
export async function barePodToFirstReset(kubeConfig: KubeConfig, namespace: string, image: string, pollMs: number): Promise<BarePod> {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const name = `openenv-rx-bare-${randomUUID().slice(0, 12)}`;
  const created = await api.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: podOwnerLabels(name) },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'server', image, imagePullPolicy: 'Never', ports: [{ containerPort: 8000 }] }],
      },
    },
  });
  let removed = false;
  const cleanup = onCleanup(() => (removed ? undefined : api.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).then(() => undefined, () => undefined)));
  try {
    const running = await watchUntil(kubeConfig, namespace, name, created.metadata?.resourceVersion, (type, pod) => {
      if (type === 'DELETED' || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') throw new Error(`bare pod ${name}: ${type} ${pod.status?.phase}`);
      return pod.status?.phase === 'Running' && Boolean(pod.status.podIP);
    });
    const url = `http://${running.status!.podIP}:8000`;
    const deadline = Date.now() + BOUND_MS;
    while (!(await healthy(url))) {
      if (Date.now() > deadline) throw new Error(`bare pod: ${url}/health not healthy after ${BOUND_MS} ms`);
      await sleep(pollMs);
    }
    await bareReset(url);
    return {
      name,
      url,
      remove: async () => {
        const deleted = await api.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 1 });
        removed = true;
        void cleanup(); // unregisters only: the deletion is under way
        await watchUntil(kubeConfig, namespace, name, deleted.metadata?.resourceVersion, (type) => type === 'DELETED');
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
