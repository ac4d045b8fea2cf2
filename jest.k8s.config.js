/**
 * `npm run test:k8s`: the Kubernetes runtime on a real cluster (KUBECONFIG, else ~/.kube/config;
 * scripts/k8s-cluster.sh up assembles one here). Apart from `npm test` because it needs a cluster:
 * outside CI the suites skip without one; with CI=true they fail.
 */
import base from './jest.config.js';

export default { ...base, roots: ['<rootDir>/spec/kubernetes'], testMatch: ['**/*.k8s-spec.ts'], testSequencer: undefined, maxWorkers: 1 };
