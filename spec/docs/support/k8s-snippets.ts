import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { labelValue, POD_LABEL } from '../../../src/runtime/kubernetes/pod-labels.js';
import { currentOwner } from '../../../src/runtime/reaper/process-identity.js';
import { PLACEHOLDER_IMAGE, PLACEHOLDER_NAMESPACE } from './snippet-context.js';

/**
 * A Kubernetes snippet's program made to run on the test cluster: `image` (the placeholder) becomes
 * the server image loaded on the nodes (no registry is reachable), `namespace: 'envs'` (the docs'
 * "your namespace") the namespace the tests use. Any other namespace is left as written (an
 * example that means a missing one must meet it).
 */
export function forCluster(js: string, target: { image: string; namespace: string }): string {
  return js.replaceAll(PLACEHOLDER_IMAGE, target.image).replaceAll(PLACEHOLDER_NAMESPACE, `namespace: '${target.namespace}'`);
}

/**
 * The openenv-rx pods in `namespace` that processes `pids` of this host own, in any phase
 * (terminating too): the reaper's own labels, so what a snippet left is what `reap --k8s` would find.
 */
export async function podsOwnedBy(kubeConfig: KubeConfig, namespace: string, pids: readonly number[]): Promise<string[]> {
  if (pids.length === 0) return [];
  const selector = `${POD_LABEL.managed}=1,${POD_LABEL.ownerHost}=${labelValue(currentOwner().host)},${POD_LABEL.ownerPid} in (${pids.join(',')})`;
  const list = await kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: selector });
  return list.items.map((pod) => pod.metadata!.name!);
}

/** Deletes pods by name at once (no grace period); a pod already gone is fine. */
export async function deletePods(kubeConfig: KubeConfig, namespace: string, names: readonly string[]): Promise<void> {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  await Promise.all(names.map((name) => api.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined)));
}
