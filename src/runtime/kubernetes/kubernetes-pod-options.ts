import type { KubeConfig, V1OwnerReference, V1ResourceRequirements, V1Toleration } from '@kubernetes/client-node';

/** How sessions reach the pod: its IP straight, or a port-forward through the API server. */
export type KubernetesConnectVia = 'auto' | 'pod-ip' | 'port-forward';

/** Options of `fromKubernetesPod`. */
export interface KubernetesPodOptions {
  /**
   * The cluster to use: a `KubeConfig`, or a kubeconfig file's path. Default:
   * `KubeConfig.loadFromDefault()` (KUBECONFIG, ~/.kube/config, in-cluster).
   */
  kubeConfig?: KubeConfig | string;
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
  /** The pod's service account (its API token is then mounted; without one, none is). */
  serviceAccountName?: string;
  /** Node labels the pod's node must have, e.g. `{ pool: 'envs' }`. */
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  /**
   * Ties the pod to objects of yours (a Job, a custom resource): when the owner is deleted, the
   * cluster's garbage collector deletes the pod even if this process is gone.
   */
  ownerReferences?: V1OwnerReference[];
  /**
   * How sessions reach the pod. `pod-ip`: straight to the pod IP (this process runs on a node or
   * inside the cluster's network). `port-forward`: a local 127.0.0.1 port forwarded through the
   * API server (`pods/portforward`, works from anywhere the API server is reachable; slower).
   * Default `auto`: the pod IP when a TCP connection to it gets an answer, else a port-forward.
   * Never a Service: a session stays pinned to its pod.
   */
  connectVia?: KubernetesConnectVia;
  /**
   * A pod the scheduler cannot place this long after it said why fails with
   * `KubernetesUnschedulableError` (a nodeSelector no node matches, a request no node has room
   * for). Default 10 000 ms; `Infinity` waits for `startTimeoutMs` (an autoscaler adding nodes).
   */
  schedulingTimeoutMs?: number;
  /**
   * Delete this process's pods when it exits by a signal, an uncaught error or `process.exit`
   * (a detached child deletes them; `openenv-rx reap --k8s` removes what a SIGKILL left). Default true.
   */
  reap?: boolean;
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
  /**
   * A deleted pod still present this long after its grace period is deleted again with grace 0
   * (what `kubectl delete --force` does): a node that stopped answering cannot confirm the
   * container's end, and its pod would stay `Terminating` until the node returns. The node's
   * kubelet, if it comes back, stops the container (the pod no longer exists). Default 30 000 ms.
   */
  forceDeleteAfterMs?: number;
}
