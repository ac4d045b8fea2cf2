import { KubeConfig } from '@kubernetes/client-node';
import { InvalidOptionError } from '../../errors/index.js';

/**
 * The cluster to use (a file that cannot be read or parsed: `InvalidOptionError`): a `KubeConfig` as given, a kubeconfig file's path, or (undefined)
 * `loadFromDefault()`: KUBECONFIG, else ~/.kube/config, else the in-cluster service account.
 */
export function resolveKubeConfig(kubeConfig: KubeConfig | string | undefined): KubeConfig {
  if (kubeConfig instanceof KubeConfig) return kubeConfig;
  const loaded = new KubeConfig();
  if (typeof kubeConfig !== 'string') {
    loaded.loadFromDefault();
    return loaded;
  }
  try {
    loaded.loadFromFile(kubeConfig);
  } catch (error) {
    throw new InvalidOptionError('kubeConfig', kubeConfig, `a readable kubeconfig file (${(error as Error).message})`);
  }
  return loaded;
}

/** The namespace given, else the kubeconfig context's, else `default`. */
export function resolveNamespace(kubeConfig: KubeConfig, namespace: string | undefined): string {
  return namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
}
