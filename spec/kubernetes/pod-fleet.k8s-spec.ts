import { firstValueFrom, from, lastValueFrom, switchMap, toArray } from 'rxjs';
import { KubernetesPodDeletedError } from '../../src/errors/index.js';
import { Echo as TypedEcho } from '../fixtures/typed-echo.js';
import { holdPool, leaseOne, stepAll } from '../fleet/support/pool-holds.js';
import { envPool } from '../../src/fleet/env-pool.js';
import { perServer } from '../../src/fleet/pool-source.js';
import { vectorEnv } from '../../src/fleet/vector-env.js';
import { rollouts, type RolloutSessionEvent } from '../../src/operators/rollouts.js';
import { fromKubernetesPod } from '../../src/runtime/kubernetes/from-kubernetes-pod.js';
import { Echo, say } from '../faults/support/echo-env.js';
import { clusterSuite } from '../support/cluster-suite.js';
import { podsOwnedByMe } from './support/cluster.js';
import { pollUntil } from '../support/poll.js';

// Pools over pods. The server image (docker/Dockerfile's, honouring MAX_CONCURRENT_ENVS) and the
// fixture image must both be on the node (OPENENV_RX_K8S_SERVER_IMAGE / OPENENV_RX_K8S_IMAGE).
const cluster = await clusterSuite();
const { api, namespace } = cluster;

cluster.describe('fleets over Kubernetes pods', () => {
  let fixtureImage: string;
  let serverImage: string;
  const options = () => ({ kubeConfig: cluster.kubeConfig, namespace, imagePullPolicy: 'Never' as const, startTimeoutMs: 100_000 });

  beforeAll(async () => {
    fixtureImage = await cluster.image('fixture');
    serverImage = await cluster.image('server');
  }, 240_000);

  it('envPool packs sessions onto pods up to the capacity a refusal reports, vectorEnv steps over them, every pod deleted', async () => {
    const server$ = fromKubernetesPod(serverImage, { ...options(), env: { OPENENV_ENV: 'echo', MAX_CONCURRENT_ENVS: '2' } });
    const source = perServer(server$, (endpoint$) => Echo.fromEndpoint(endpoint$, { transport: 'ws' }));
    const result = await firstValueFrom(
      envPool(source, { size: 4 }).pipe(
        switchMap((pool) =>
          vectorEnv(pool, { num: 4 }).pipe(
            switchMap((v) =>
              from(
                (async () => {
                  const pods = (await podsOwnedByMe(api, namespace)).length;
                  await firstValueFrom(v.reset({ seed: 3 }));
                  const step = await firstValueFrom(v.step(Array.from({ length: 4 }, () => ({ message: 'one' }))));
                  return { pods, step, stats: pool.stats() };
                })(),
              ),
            ),
          ),
        ),
      ),
    );
    expect(result.pods).toBe(2);
    expect(result.stats.servers.map((s) => [s.sessions, s.limit])).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expect(result.step.observations.map((o) => o.echoed_message)).toEqual(['one', 'one', 'one', 'one']);
  }, 240_000);

  // The lost episode is reported and the run goes on: a pod's end is a session fault (isSessionFault).
  it('rollouts over pods with the pod deleted mid-episode: every planned episode is emitted, the lost one as a failure step (KubernetesPodDeletedError), the next on a new pod', async () => {
    let deleted = false;
    let release!: () => void;
    const lost = new Promise<void>((resolve) => (release = resolve));
    const events: RolloutSessionEvent[] = [];
    const steps = await lastValueFrom(
      rollouts(
        Echo.fromKubernetesPod(fixtureImage, { ...options(), transport: 'ws' }),
        async (_, last) => {
          if (!deleted && last.episodeIndex === 1 && last.index === 2) {
            deleted = true;
            const [name] = await podsOwnedByMe(api, namespace);
            await api.deleteNamespacedPod({ name: name!, namespace, gracePeriodSeconds: 0 });
            // The API forgets the pod before its kubelet kills the container, which may answer a
            // step or two more: think until the session is lost (what a policy would do at any
            // length), so the loss lands in this episode.
            await lost;
          }
          return say(last.index + 1);
        },
        // One session: the only pod is the one the episode runs on.
        {
          sessions: 1,
          episodes: 3,
          seed: 0,
          maxSteps: 4,
          onSessionEvent: (event) => {
            events.push(event);
            if (event.type === 'lost') release();
          },
        },
      ).pipe(toArray()),
    );
    expect(deleted).toBe(true);
    expect(events.filter((e) => e.type === 'lost')).toHaveLength(1);
    const ends = steps.filter((s) => s.done || s.truncated);
    expect(ends.map((s) => s.episodeIndex).sort()).toEqual([0, 1, 2]);
    const failed = ends.filter((s) => s.error);
    expect(failed.map((s) => s.episodeIndex)).toEqual([1]);
    expect(failed[0]!.error!.cause).toBeInstanceOf(KubernetesPodDeletedError);
    // Episode 2 ran on the replacement pod to its end.
    expect(ends.find((s) => s.episodeIndex === 2)).toMatchObject({ truncated: true });
    expect(ends.find((s) => s.episodeIndex === 2)?.error).toBeUndefined();
  }, 300_000);

  it('envPool of 2 pod sessions: a pod deleted under a lease errors it with KubernetesPodDeletedError, a new pod replaces it, a lease works again, every pod deleted after', async () => {
    const source = TypedEcho.fromKubernetesPod(serverImage, { ...options(), env: { OPENENV_ENV: 'echo' }, transport: 'ws', connectVia: 'pod-ip' });
    const { pool, close } = await holdPool(envPool(source, { size: 2 }));
    try {
      const before = await podsOwnedByMe(api, namespace);
      expect(before).toHaveLength(2);
      const lease = leaseOne(pool);
      expect(lease.session).toBeDefined(); // a warm claim emits at once
      const host = new URL(lease.session!.url).hostname;
      const pods = await api.listNamespacedPod({ namespace });
      const victim = pods.items.find((pod) => before.includes(pod.metadata!.name!) && pod.status?.podIP === host)!.metadata!.name!;
      await api.deleteNamespacedPod({ name: victim, namespace, gracePeriodSeconds: 0 });

      const error = await Promise.race([lease.ended, new Promise((_, reject) => setTimeout(() => reject(new Error(`the lease did not end within 60 s of deleting pod ${victim}`)), 60_000).unref())]);
      expect(error).toBeInstanceOf(KubernetesPodDeletedError);
      expect(error).toMatchObject({ code: 'ERR_K8S_POD_DELETED', context: expect.objectContaining({ pod: victim }) });

      // Replenished: 2 idle sessions again, on 2 pods, the deleted one not among them.
      await pollUntil(() => pool.stats().idle === 2, 'pool.stats().idle === 2', { timeoutMs: 90_000, intervalMs: 50 });
      const after = await podsOwnedByMe(api, namespace);
      expect(after).toHaveLength(2);
      expect(after).not.toContain(victim);
      expect(pool.stats()).toMatchObject({ size: 2, failed: 1, started: 3, startFailures: 0 });
      const [echoed] = await stepAll(pool, 'again', 1);
      expect(echoed!.echoed).toBe('again-0');
    } finally {
      close();
    }
  }, 240_000);
});
