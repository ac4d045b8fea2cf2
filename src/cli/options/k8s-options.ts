import { Option, type Command } from 'commander';
import { CliUsageError } from '../../errors/cli-errors.js';
import type { KubernetesConnectVia } from '../../runtime/kubernetes/kubernetes-pod-options.js';

/** Parsed Kubernetes flags (part of the shared target flags). */
export interface K8sFlags {
  k8s?: boolean;
  kubeconfig?: string;
  namespace?: string;
  podConnect?: KubernetesConnectVia;
}

/** What the target flags set on `fromKubernetesPod` (the container env aside). */
export interface K8sFlagOptions {
  /** A kubeconfig file (`--kubeconfig`); undefined: KUBECONFIG, else ~/.kube/config, else in-cluster. */
  kubeconfigPath?: string;
  namespace?: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  connectVia?: KubernetesConnectVia;
}

/** `--pull` in Kubernetes terms: the node pulls (or not) the image itself. */
const PULL_POLICY = { never: 'Never', 'if-missing': 'IfNotPresent', always: 'Always' } as const;

/** Adds `--k8s` and its flags (the cluster, the namespace, how sessions reach a pod). */
export function addK8sOptions(command: Command): Command {
  return command
    .addOption(new Option('--k8s', 'with --image: run each session\'s server as a Kubernetes pod, deleted when the command ends').conflicts(['url', 'swarm']))
    .option('--kubeconfig <path>', 'with --k8s: the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
    .option('--namespace <name>', 'with --k8s: namespace of the pods (default: the kubeconfig context\'s, else default)')
    .addOption(
      new Option('--pod-connect <how>', 'with --k8s: reach pods on their IP (pod-ip), through the API server (port-forward), or auto: the IP when it answers').choices([
        'auto',
        'pod-ip',
        'port-forward',
      ]),
    );
}

/**
 * The Kubernetes options of the target flags; undefined without `--k8s`, and then any of its
 * flags is an error, as is `--k8s` without `--image`. `--pull` maps onto the pod's
 * `imagePullPolicy` (never: Never, if-missing: IfNotPresent, always: Always).
 */
export function k8sOptionsFromFlags(flags: K8sFlags & { image?: string; pull?: string }): K8sFlagOptions | undefined {
  const given = [flags.kubeconfig !== undefined && '--kubeconfig', flags.namespace !== undefined && '--namespace', flags.podConnect !== undefined && '--pod-connect'].filter(
    (f): f is string => typeof f === 'string',
  );
  if (!flags.k8s) {
    if (given.length > 0) throw new CliUsageError(given[0]!, `${given.join(', ')} configure Kubernetes pods; add --k8s (with --image)`);
    return undefined;
  }
  if (!flags.image) throw new CliUsageError('--k8s', '--k8s runs the --image as Kubernetes pods; there is no --image');
  return {
    imagePullPolicy: PULL_POLICY[(flags.pull ?? 'never') as keyof typeof PULL_POLICY] ?? 'Never',
    ...(flags.kubeconfig !== undefined && { kubeconfigPath: flags.kubeconfig }),
    ...(flags.namespace !== undefined && { namespace: flags.namespace }),
    ...(flags.podConnect !== undefined && { connectVia: flags.podConnect }),
  };
}
