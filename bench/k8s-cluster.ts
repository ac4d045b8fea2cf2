import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { testImage, type TestImage } from './test-image.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/k8s-cluster.sh', import.meta.url));
/** Where scripts/k8s-cluster.sh writes its admin kubeconfig (K8S_STATE moves it). */
const SCRIPT_KUBECONFIG = `${process.env['K8S_STATE'] ?? '/var/lib/openenv-rx-k8s'}/admin.kubeconfig`;

/** The cluster the Kubernetes sections run on, and the image its node has. */
export interface K8sBench {
  kubeConfig: KubeConfig;
  namespace: string;
  image: string;
  /** How the image got onto the node. */
  imageNote: string;
}

const sameFile = (a: string, b: string): boolean => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

let found: Promise<K8sBench | string> | undefined;

/**
 * The cluster KUBECONFIG names (else ~/.kube/config), or why the sections cannot run. The image:
 * `OPENENV_RX_K8S_IMAGE` when set (already on the nodes: `kind load docker-image`, ...); on the
 * cluster of scripts/k8s-cluster.sh the bench's test image is built and loaded with its `load`.
 */
export function k8sBench(smoke: boolean): Promise<K8sBench | string> {
  found ??= (async () => {
    const kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromDefault();
      if (!kubeConfig.getCurrentCluster()) return 'no Kubernetes cluster (KUBECONFIG; scripts/k8s-cluster.sh up makes one)';
      await kubeConfig.makeApiClient(VersionApi).getCode();
    } catch (error) {
      return `no reachable Kubernetes cluster (${error instanceof Error ? error.message : String(error)}; scripts/k8s-cluster.sh up makes one)`;
    }
    const namespace = process.env['OPENENV_RX_K8S_NAMESPACE'] ?? 'default';
    const given = process.env['OPENENV_RX_K8S_IMAGE'];
    if (given) return { kubeConfig, namespace, image: given, imageNote: `Image ${given} (OPENENV_RX_K8S_IMAGE, already on the node).` };
    const kubeconfigFile = process.env['KUBECONFIG'];
    if (!kubeconfigFile || !sameFile(kubeconfigFile, SCRIPT_KUBECONFIG)) {
      return 'OPENENV_RX_K8S_IMAGE not set: name an image already on the nodes (only the cluster of scripts/k8s-cluster.sh gets the test image loaded by the bench)';
    }
    const image: TestImage = await testImage(smoke);
    await promisify(execFile)('bash', [SCRIPT, 'load', image.tag], { timeout: 180_000 });
    const kind = image.variant === 'server' ? 'full server image: our built-in echo over dist/' : 'fixture echo server';
    return { kubeConfig, namespace, image: image.tag, imageNote: `Image ${image.tag} (${kind}), loaded into the node's containerd (k8s.io namespace), imagePullPolicy Never on both sides.` };
  })();
  return found;
}
