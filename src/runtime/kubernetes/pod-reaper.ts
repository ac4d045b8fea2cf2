import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { KubernetesApiError } from '../../errors/index.js';
import { currentOwner, isProcessAlive } from '../reaper/process-identity.js';
import type { ReapKindResult } from '../reaper/reap-result.js';
import { labelValue, POD_LABEL } from './pod-labels.js';
import { toApiError } from './pod-run.js';
import { resolveKubeConfig, resolveNamespace } from './resolve-kube-config.js';

/** Options of `reapKubernetesPods` (`openenv-rx reap --k8s`). */
export interface KubernetesReapOptions {
  /** The cluster: a `KubeConfig`, or a kubeconfig file's path. Default: KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeConfig?: KubeConfig | string;
  /** Namespace to sweep. Default: the kubeconfig context's, else `default`. */
  namespace?: string;
  /** Delete every openenv-rx pod in the namespace, live owners (this process too) included. */
  all?: boolean;
}

/** A pod started on this host by a process that no longer runs (gone, a zombie, its pid reused). */
function isOrphanPod(pod: V1Pod, host: string): boolean {
  const labels = pod.metadata?.labels ?? {};
  if (labels[POD_LABEL.ownerHost] !== host) return false; // another machine's pid means nothing here
  const start = labels[POD_LABEL.ownerStart];
  return !isProcessAlive({ pid: Number(labels[POD_LABEL.ownerPid]), ...(start !== undefined && { startTime: Number(start) }) });
}

/**
 * Deletes the openenv-rx pods in the namespace whose owner process on this host is dead (killed
 * with SIGKILL, OOM-killed: every other exit deletes them itself); with `all`, every openenv-rx
 * pod there. Pods of other hosts are kept (their pids mean nothing here). Deletions are not
 * awaited to the end of the pods' grace periods. Rejects with `KubernetesApiError` when the
 * pods cannot be listed, or listing what could not be deleted.
 *
 * @example
 * const { removed, kept } = await reapKubernetesPods({ namespace: 'envs' });
 * console.log(`deleted ${removed.length} pod(s), kept ${kept}`);
 */
export async function reapKubernetesPods(options: KubernetesReapOptions = {}): Promise<ReapKindResult> {
  const kubeConfig = resolveKubeConfig(options.kubeConfig);
  const namespace = resolveNamespace(kubeConfig, options.namespace);
  const context = { namespace, server: kubeConfig.getCurrentCluster()?.server };
  const api = kubeConfig.makeApiClient(CoreV1Api);
  let pods: V1Pod[];
  try {
    pods = (await api.listNamespacedPod({ namespace, labelSelector: `${POD_LABEL.managed}=1` })).items;
  } catch (error) {
    throw toApiError('list', error, context);
  }
  const host = labelValue(currentOwner().host);
  const removed: string[] = [];
  const failed: string[] = [];
  let first: KubernetesApiError | undefined;
  let kept = 0;
  for (const pod of pods) {
    const name = pod.metadata!.name!;
    if (!options.all && !isOrphanPod(pod, host)) {
      kept++;
      continue;
    }
    try {
      await api.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
      removed.push(name);
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) continue; // gone meanwhile (its owner, or another reaper)
      const apiError = toApiError('delete', error, context);
      first ??= apiError;
      failed.push(`${name}: ${apiError.apiMessage}`);
    }
  }
  if (first) throw new KubernetesApiError('delete', first.status, `could not delete ${failed.length} orphan pod(s): ${failed.join('; ')}`, first.systemCode, { ...context, removed });
  return { removed, kept };
}
