import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { lastValueFrom, toArray } from 'rxjs';
import { KubernetesPodDeletedError, KubernetesPodError } from '../../src/errors/index.js';
import { rollouts, type RolloutSessionEvent } from '../../src/operators/rollouts.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { Echo, say } from '../faults/support/echo-env.js';
import { sessionFailure } from '../faults/support/session-runs.js';
import { pollUntil } from '../support/poll.js';
import { clusterSuite } from '../support/cluster-suite.js';
import { podsOwnedByMe } from './support/cluster.js';

// Faults of the cluster itself, on the real single-node cluster of scripts/k8s-cluster.sh: a node
// gone (its kubelet frozen with SIGSTOP, so the node stops reporting while its pods keep running,
// as a node cut off from the control plane) and a control-plane outage (the API server stopped
// and started again, as in an upgrade). They need that script's cluster (they signal its
// processes): another cluster skips them, except under CI=true, where they run or fail unless
// OPENENV_RX_K8S_NO_NODE_FAULTS=1.
const cluster = await clusterSuite();
const { api, namespace } = cluster;
// The script's own cluster runs here when its kubelet's pid file does: a user's kind or cloud
// cluster skips these two (with CI=true too, when OPENENV_RX_K8S_NO_NODE_FAULTS=1 says so).
const ours = existsSync(join(process.env['K8S_RUN'] ?? '/run/openenv-rx-k8s', 'kubelet.pid'));
const skip = process.env['OPENENV_RX_K8S_NO_NODE_FAULTS'] === '1' || (!ours && !process.env['CI']);
if (skip && cluster.available) console.warn("Kubernetes cluster faults skipped: they signal scripts/k8s-cluster.sh's kubelet and API server, and this cluster is not that one");
const script = (...args: string[]) => promisify(execFile)('bash', ['scripts/k8s-cluster.sh', ...args], { timeout: 240_000 });
const nodeFault = (what: 'freeze' | 'thaw') => script('node', what);

(skip ? describe.skip : cluster.describe)('Kubernetes cluster faults: a node that stops reporting, an API server outage', () => {
  let fixtureImage: string;
  let frozen = false;
  let apiDown = false;
  const options = () => ({ kubeConfig: cluster.kubeConfig, namespace, imagePullPolicy: 'Never' as const });

  beforeAll(async () => {
    fixtureImage = await cluster.image('fixture');
  }, 240_000);

  afterAll(async () => {
    // Whatever happened, the cluster serves the suites after this one.
    if (apiDown) await script('apiserver', 'start');
    if (frozen) await nodeFault('thaw');
  }, 240_000);

  it('rollouts: the session fails with KubernetesPodError NodeNotReady, the episode is reported failed, its pod is force-deleted while the node is still gone, the run finishes on a new pod once the node is back', async () => {
    let lostPod: string | undefined;
    let podGoneWhileFrozen = false;
    let release!: () => void;
    const lost = new Promise<void>((resolve) => (release = resolve));
    const events: RolloutSessionEvent[] = [];
    const onSessionEvent = (event: RolloutSessionEvent): void => {
      events.push(event);
      if (event.type === 'lost') release();
    };
    const steps = await lastValueFrom(
      rollouts(
        Echo.fromKubernetesPod(fixtureImage, {
          ...options(),
          transport: 'ws',
          forceDeleteAfterMs: 2_000,
          // The replacement waits for the node to come back.
          schedulingTimeoutMs: 200_000,
          startTimeoutMs: 220_000,
        }),
        async (_, last) => {
          if (!frozen && last.episodeIndex === 1 && last.index === 2) {
            [lostPod] = await podsOwnedByMe(api, namespace);
            await nodeFault('freeze');
            frozen = true;
            // The pod still answers (its container runs): only the node controller's verdict
            // (after its 50 s grace period) can end this session. Think until it has.
            await lost;
            // The lost pod's deletion cannot be confirmed by the frozen kubelet: it is gone only
            // if the teardown force-deleted it.
            await pollUntil(() => api.readNamespacedPod({ name: lostPod!, namespace }).then(() => false, () => true), 'the lost pod to be gone while its node is frozen', { timeoutMs: 60_000, intervalMs: 200 });
            podGoneWhileFrozen = true;
            await nodeFault('thaw');
            frozen = false;
          }
          return say(last.index + 1);
        },
        { sessions: 1, episodes: 3, seed: 0, maxSteps: 4, onSessionEvent },
      ).pipe(toArray()),
    );
    expect(podGoneWhileFrozen).toBe(true);
    const ends = steps.filter((s) => s.done || s.truncated);
    expect(ends.map((s) => s.episodeIndex).sort()).toEqual([0, 1, 2]);
    const failed = ends.filter((s) => s.error);
    expect(failed.map((s) => s.episodeIndex)).toEqual([1]);
    const cause = failed[0]!.error!.cause as KubernetesPodError;
    expect(cause).toBeInstanceOf(KubernetesPodError);
    expect(cause).toMatchObject({ code: 'ERR_K8S_POD', reason: 'NodeNotReady', context: expect.objectContaining({ pod: lostPod, namespace }) });
    // Lost while the policy thought: no step was on the wire, so none is of unknown outcome.
    expect(failed[0]!.error).toMatchObject({ stepUnknown: false });
    expect(events.filter((e) => e.type === 'lost')).toHaveLength(1);
    const last = ends.find((s) => s.episodeIndex === 2)!;
    expect(last).toMatchObject({ truncated: true });
    expect(last.error).toBeUndefined();
    await awaitRuntimeTeardowns();
    expect(await podsOwnedByMe(api, namespace)).toEqual([]);
  }, 400_000);

  it('the API server stops mid-episode and comes back: the session steps on through the outage, and its pod watch resumes (a deletion afterwards fails the session with KubernetesPodDeletedError)', async () => {
    let podName: string | undefined;
    let steppedThroughOutage = 0;
    const { sessionError } = await sessionFailure(
      Echo.fromKubernetesPod(fixtureImage, { ...options(), transport: 'ws', connectVia: 'pod-ip' }),
      (env) =>
        env.episode(
          async (_, last) => {
            if (last.index === 2) {
              [podName] = await podsOwnedByMe(api, namespace);
              await script('apiserver', 'stop');
              apiDown = true;
            }
            if (apiDown && last.index === 4) {
              // Two steps answered with the API server gone; its start takes seconds more, in
              // which the session's pod watch fails and must wait (it used to fail the session).
              steppedThroughOutage = 2;
              await script('apiserver', 'start');
              apiDown = false;
            }
            if (!apiDown && last.index === 6) await api.deleteNamespacedPod({ name: podName!, namespace, gracePeriodSeconds: 0 });
            return say(last.index + 1);
          },
          { maxSteps: 50 },
        ),
      200_000,
    );
    expect(steppedThroughOutage).toBe(2);
    // The watch came back: the deletion after the outage is what ended the session.
    expect(sessionError).toBeInstanceOf(KubernetesPodDeletedError);
    expect(sessionError).toMatchObject({ code: 'ERR_K8S_POD_DELETED', context: expect.objectContaining({ pod: podName, namespace }) });
    await awaitRuntimeTeardowns();
    expect(await podsOwnedByMe(api, namespace)).toEqual([]);
  }, 300_000);
});
