import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { POD_LABEL } from '../../../src/runtime/kubernetes/pod-labels.js';

/** The cluster KUBECONFIG (or ~/.kube/config) names, and whether its API server answers. */
export async function loadCluster(): Promise<{ kubeConfig: KubeConfig; reachable: boolean; why?: string }> {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromDefault();
    if (!kubeConfig.getCurrentCluster()) return { kubeConfig, reachable: false, why: 'no cluster in KUBECONFIG' };
    await kubeConfig.makeApiClient(VersionApi).getCode();
    return { kubeConfig, reachable: true };
  } catch (error) {
    return { kubeConfig, reachable: false, why: String((error as Error).message ?? error) };
  }
}

/** Names of the pods this process owns in `namespace` (any phase, terminating included). */
export async function podsOwnedByMe(api: CoreV1Api, namespace: string): Promise<string[]> {
  const list = await api.listNamespacedPod({ namespace, labelSelector: `${POD_LABEL.managed}=1,${POD_LABEL.ownerPid}=${process.pid}` });
  return list.items.map((pod) => pod.metadata!.name!);
}

/** Subscribes to a runtime Observable; resolves with its first endpoint and the subscription holding it. */
export function holdFirst<T>(source: import('rxjs').Observable<T>): Promise<{ value: T; subscription: import('rxjs').Subscription }> {
  return new Promise((resolve, reject) => {
    let value: T | undefined;
    let got = false;
    const subscription = source.subscribe({
      next: (v) => {
        if (got) return;
        got = true;
        value = v;
        // Resolved on the next tick: `subscription` is assigned by then even for a synchronous emit.
        queueMicrotask(() => resolve({ value: value as T, subscription }));
      },
      error: reject,
    });
  });
}
