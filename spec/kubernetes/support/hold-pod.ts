// Child-process client for the Kubernetes reaper tests: subscribes to fromKubernetesPod(image) on
// the KUBECONFIG cluster, prints `{"podName"}` once it serves, then holds the pod until killed.
// No signal handler: SIGTERM ends it through the exit hook (a detached child deletes its pods);
// SIGKILL leaves an orphan for `reapKubernetesPods`.
// Run: node --import ./spec/fixtures/register-ts-loader.mjs spec/kubernetes/support/hold-pod.ts <image> <namespace>
import { fromKubernetesPod } from '../../../src/runtime/kubernetes/from-kubernetes-pod.js';

const [image, namespace] = process.argv.slice(2);
if (!image || !namespace) throw new Error('usage: hold-pod.ts <image> <namespace>');
fromKubernetesPod(image, { namespace, imagePullPolicy: 'Never', startTimeoutMs: 90_000 }).subscribe({
  next: (endpoint) => process.stdout.write(`${JSON.stringify({ podName: endpoint.podName })}\n`),
  error: (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
});
