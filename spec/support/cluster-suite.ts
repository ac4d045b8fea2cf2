import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { POD_LABEL } from '../../src/runtime/kubernetes/pod-labels.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { ensureServerImage, ensureTestImage } from '../fixtures/test-image.js';
import { loadCluster, podsOwnedByMe } from '../kubernetes/support/cluster.js';
import { describeOrSkip } from './describe-or-skip.js';

/** How a cluster suite differs from the others. */
export interface ClusterSuiteOptions {
  /**
   * After every test, await the runtimes' teardowns and expect no pod of this process left in the
   * namespace. Default true; false for suites whose pods belong to child processes.
   */
  noPodsLeftAfterEach?: boolean;
}

/** A real-cluster suite: its kubeconfig, API client, namespace, images and `describe`. */
export interface ClusterSuite {
  /** What KUBECONFIG (or ~/.kube/config) names. */
  readonly kubeConfig: KubeConfig;
  /** The core API client of that cluster (made at once; it connects only when called). Not set when unavailable. */
  readonly api: CoreV1Api;
  /** OPENENV_RX_K8S_NAMESPACE, else `default`. */
  readonly namespace: string;
  /** The API server answered when the file loaded. */
  readonly available: boolean;
  /**
   * The image to run (it must be on the node: no registry here): `fixture` is
   * OPENENV_RX_K8S_IMAGE or the Docker fixture image, `server` OPENENV_RX_K8S_SERVER_IMAGE or
   * docker/Dockerfile's server image. Call it from a `beforeAll`.
   */
  image(kind: 'fixture' | 'server'): Promise<string>;
  /**
   * `describe` that runs when `available` or under CI=true (its first `beforeAll` then FAILS on
   * the missing cluster, never skips), else skips with a message. After each test (unless
   * `options.noPodsLeftAfterEach` is false) the runtimes' teardowns are awaited and no pod of this
   * process may be left; after the suite whatever pod this process still owns is deleted.
   */
  describe(title: string, body: () => void, options?: ClusterSuiteOptions): void;
}

/**
 * THE Kubernetes suite preamble of the k8s specs, as `dockerSuite()` is Docker's.
 *
 * @example
 * const cluster = await clusterSuite();
 * const { api, namespace } = cluster;
 * cluster.describe('fromKubernetesPod on a real cluster', () => {
 *   let image: string;
 *   beforeAll(async () => {
 *     image = await cluster.image('fixture');
 *   }, 180_000);
 *   it('...', async () => { ... });
 * });
 */
export async function clusterSuite(): Promise<ClusterSuite> {
  const { kubeConfig, reachable, why } = await loadCluster();
  // Unreachable: no client (makeApiClient throws without a cluster); the suite fails or skips
  // before any test could use it.
  const api = reachable ? kubeConfig.makeApiClient(CoreV1Api) : (undefined as unknown as CoreV1Api);
  const namespace = process.env['OPENENV_RX_K8S_NAMESPACE'] ?? 'default';
  const skip = `No reachable Kubernetes cluster (${why}): skipping Kubernetes tests (with CI=true they fail instead; scripts/k8s-cluster.sh up makes one)`;
  const describe = describeOrSkip(reachable, skip);
  return {
    kubeConfig,
    api,
    namespace,
    available: reachable,
    image: async (kind) =>
      kind === 'fixture'
        ? (process.env['OPENENV_RX_K8S_IMAGE'] ?? (await ensureTestImage()))
        : (process.env['OPENENV_RX_K8S_SERVER_IMAGE'] ?? (await ensureServerImage())),
    describe: (title, body, options = {}) =>
      describe(title, () => {
        beforeAll(() => {
          if (!reachable) throw new Error(`CI=true but no reachable Kubernetes cluster: ${why}`);
        });
        if (options.noPodsLeftAfterEach ?? true) {
          afterEach(async () => {
            await awaitRuntimeTeardowns();
            if (reachable) expect(await podsOwnedByMe(api, namespace)).toEqual([]);
          }, 60_000);
        }
        body();
        afterAll(async () => {
          await awaitRuntimeTeardowns();
          if (!reachable) return;
          const labelSelector = `${POD_LABEL.managed}=1,${POD_LABEL.ownerPid}=${process.pid}`;
          await api.deleteCollectionNamespacedPod({ namespace, labelSelector, gracePeriodSeconds: 0 }).catch(() => undefined);
        }, 60_000);
      }),
  };
}
