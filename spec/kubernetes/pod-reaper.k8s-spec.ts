import type { ChildProcess } from 'node:child_process';
import { reapKubernetesPods } from '../../src/runtime/kubernetes/pod-reaper.js';
import { holdInChild, killed } from '../fixtures/hold-in-child.js';
import { pollUntil } from '../support/poll.js';
import { clusterSuite } from '../support/cluster-suite.js';

const cluster = await clusterSuite();
const { api, namespace } = cluster;

cluster.describe('pods of a dead process: the exit hook and reapKubernetesPods', () => {
  let image: string;
  const children: ChildProcess[] = [];
  const gone = (name: string) =>
    api.readNamespacedPod({ name, namespace }).then(
      () => false,
      (error: { code?: number }) => error.code === 404,
    );

  beforeAll(async () => {
    image = await cluster.image('fixture');
  }, 180_000);

  afterAll(async () => {
    await Promise.all(children.map(killed));
  });

  it('a process killed with SIGKILL leaves its pod; reapKubernetesPods deletes it and keeps the pods of live owners', async () => {
    const { child, report } = await holdInChild<{ podName: string }>('spec/kubernetes/support/hold-pod.ts', [image, namespace], children, 100_000);
    const live = await holdInChild<{ podName: string }>('spec/kubernetes/support/hold-pod.ts', [image, namespace], children, 100_000);
    await killed(child);
    expect(await gone(report.podName)).toBe(false); // nothing ran at exit: the orphan is there

    const result = await reapKubernetesPods({ kubeConfig: cluster.kubeConfig, namespace });
    expect(result.removed).toContain(report.podName);
    expect(result.removed).not.toContain(live.report.podName);
    await pollUntil(() => gone(report.podName), `orphan pod ${report.podName} to be gone`, { timeoutMs: 60_000, intervalMs: 200 });
    expect(await gone(live.report.podName)).toBe(false);
    await killed(live.child);
    await reapKubernetesPods({ kubeConfig: cluster.kubeConfig, namespace });
    await pollUntil(() => gone(live.report.podName), 'the second pod to be gone', { timeoutMs: 60_000, intervalMs: 200 });
  }, 240_000);

  it('a process ended by SIGTERM (not handled): the exit hook deletes its pod', async () => {
    const { child, report } = await holdInChild<{ podName: string }>('spec/kubernetes/support/hold-pod.ts', [image, namespace], children, 100_000);
    child.kill('SIGTERM');
    await pollUntil(() => gone(report.podName), `pod ${report.podName} to be deleted by the exit hook`, { timeoutMs: 60_000, intervalMs: 200 });
  }, 180_000);
}, { noPodsLeftAfterEach: false }); // the pods belong to the child processes
