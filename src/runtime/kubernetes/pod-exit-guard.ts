import { createRequire } from 'node:module';
import type { KubeConfig } from '@kubernetes/client-node';
import { refCountedExitHook } from '../ref-counted-exit-hook.js';
import { spawnDetachedNode } from '../spawn-detached-node.js';
import { ownerSelector } from './pod-labels.js';

/** Variable carrying the kubeconfig to the child (the environment, not argv: `ps` shows argv). */
const KUBECONFIG_VARIABLE = 'OPENENV_RX_REAP_KUBECONFIG';

/**
 * The detached child's program (CommonJS `node -e`, self-contained): deletes the exited owner's
 * pods twice, 2 s apart (a create still in flight lands a bit later), swallowing every error:
 * what it misses, `openenv-rx reap --k8s` removes later.
 */
const CHILD_SOURCE = `
const [entry, namespace, selector] = process.argv.slice(1);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  const k8s = await import(require('node:url').pathToFileURL(entry).href);
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromString(process.env.${KUBECONFIG_VARIABLE});
  const api = kubeConfig.makeApiClient(k8s.CoreV1Api);
  for (const delay of [0, 2000]) {
    await sleep(delay);
    await api.deleteCollectionNamespacedPod({ namespace, labelSelector: selector, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
})().catch(() => undefined).finally(() => process.exit(0));
`;

function spawnRemover(kubeConfig: KubeConfig, namespace: string): void {
  const entry = createRequire(import.meta.url).resolve('@kubernetes/client-node');
  spawnDetachedNode(['-e', CHILD_SOURCE, entry, namespace, ownerSelector()], { [KUBECONFIG_VARIABLE]: kubeConfig.exportConfig() });
}

const holdClusterHook = refCountedExitHook(); // per cluster and namespace

/**
 * Keeps this process's pods in `namespace` from outliving it when it exits by a signal, an
 * uncaught error or `process.exit`: while at least one is held, the shared exit hook starts a
 * detached child that deletes every pod labelled with this owner there. One child per cluster
 * and namespace, however many pods. Returns the release function (idempotent).
 */
export function holdPodUntilExit(kubeConfig: KubeConfig, namespace: string): () => void {
  const key = JSON.stringify([kubeConfig.getCurrentCluster()?.server ?? '', kubeConfig.getCurrentUser()?.name ?? '', namespace]);
  return holdClusterHook(key, () => spawnRemover(kubeConfig, namespace));
}
