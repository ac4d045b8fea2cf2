import type { KubeConfig, V1ResourceRequirements, V1Toleration } from '@kubernetes/client-node';

/** Options of `fromKubernetesPod`. */
export interface KubernetesPodOptions {
  /** The cluster to use. Default: `KubeConfig.loadFromDefault()` (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeConfig?: KubeConfig;
  /** Namespace of the pod. Default: the kubeconfig context's namespace, else `default`. */
  namespace?: string;
  /** Port the server listens on inside the container. Default 8000 (OpenEnv's). */
  containerPort?: number;
  /** Environment variables of the container. */
  env?: Record<string, string>;
  /** Overrides the image's ENTRYPOINT (`command`). */
  command?: string[];
  /** Overrides the image's CMD (`args`). */
  args?: string[];
  /** Extra pod labels (the owner labels the reaper selects on are always added). */
  labels?: Record<string, string>;
  /** Container resources, e.g. `{ limits: { cpu: '1', memory: '512Mi' } }`. */
  resources?: V1ResourceRequirements;
  /** Default `IfNotPresent`. `Never` for images loaded straight into the nodes' runtime. */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  serviceAccountName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  /** Bounds create -> Running -> `/health` (`TimeoutError` phase `start`). Default 120 000 ms. */
  startTimeoutMs?: number;
  /** Pause between `/health` probes while starting. Default 50 ms. */
  healthIntervalMs?: number;
  /**
   * Bounds each API call (create, delete, read; not the watches): a frozen API server fails the
   * call with `KubernetesApiError` instead of hanging a start or a teardown. Default 30 000 ms.
   */
  apiTimeoutMs?: number;
  /** Grace period of the pod's deletion on unsubscribe. Default 1 s (servers hold no state worth a longer drain). */
  deleteGraceSeconds?: number;
}
