import type { ObservedValueOf } from 'rxjs';
import { SwarmTaskError } from '../../src/errors/index.js';
import { envPool } from '../../src/fleet/env-pool.js';
import { perSwarmService } from '../../src/fleet/per-swarm-service.js';
import { LABEL } from '../../src/runtime/docker/container-labels.js';
import { publishedHostPort, type SwarmTask } from '../../src/runtime/swarm/swarm-task.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { containersOfServices, servicesOwnedBy } from './support/swarm-test-support.js';
import { pollUntil } from '../support/poll.js';
import { swarmSuite } from '../support/engine-suite.js';
import { Echo } from '../fixtures/typed-echo.js';
import { holdPool, stepAll } from '../fleet/support/pool-holds.js';

const engine = await swarmSuite();
const { docker } = engine;
const ours = (): Promise<string[]> => servicesOwnedBy(docker, [process.pid]);

type EchoSession = ObservedValueOf<ReturnType<typeof Echo.connect>>;

/**
 * The running container of the task that serves `url` (its host-mode port), among OUR services only.
 * Matched as the runtime picks the port (`publishedHostPort`): on a dual-stack engine a task
 * publishes one port for IPv4 and another for IPv6, and one task's IPv6 port can be the number of
 * another task's IPv4 port, so "any of its ports" can name the wrong task.
 */
async function containerServing(url: string): Promise<{ serviceId: string; containerId: string }> {
  const port = Number(new URL(url).port);
  const tasks = (await docker.listTasks({ filters: { label: [`${LABEL.ownerPid}=${process.pid}`], 'desired-state': ['running'] } })) as SwarmTask[];
  const task = tasks.find((t) => publishedHostPort(t, 8000) === port);
  const containerId = task?.Status?.ContainerStatus?.ContainerID;
  if (!task || !containerId) throw new Error(`no task of ours publishes port ${port}`);
  // Double-check through the container's own labels: it is one of ours, of that service.
  const [container] = await docker.listContainers({
    filters: { label: [`com.docker.swarm.service.id=${task.ServiceID}`, 'openenv-rx.swarm-session'], id: [containerId] },
  });
  if (!container) throw new Error(`the container of service ${task.ServiceID} is not labelled as ours`);
  return { serviceId: task.ServiceID, containerId: container.Id };
}

engine.describe('envPool over swarm services on a real single-node swarm', () => {
  let image: string;

  beforeAll(async () => {
    image = await ensureServerImage();
  }, 240_000);


  it('a pool of 4 fromSwarmService sessions (one service each): a killed task errors its lease, a new service replaces it, a lease works again, nothing is left after', async () => {
    const source = Echo.fromSwarmService(image, { env: { OPENENV_ENV: 'echo' }, transport: 'ws', startTimeoutMs: 90_000 });
    const { pool, close } = await holdPool(envPool(source, { size: 4 }));
    const seen = new Set<string>();
    try {
      const before = await ours();
      before.forEach((id) => seen.add(id));
      expect(before).toHaveLength(4);
      expect(pool.stats()).toMatchObject({ size: 4, idle: 4, started: 4 });

      // Lease one session, kill its task's container under it.
      const lease = pool.session();
      let leased!: EchoSession;
      const leaseEnd = new Promise<unknown>((resolve) => {
        lease.subscribe({ next: (env) => (leased = env), error: resolve, complete: () => resolve('completed') });
      });
      expect(leased).toBeDefined(); // a warm claim emits at once
      const victim = await containerServing(leased.url);
      await docker.getContainer(victim.containerId).kill();

      // Bounded: a lease that never ends fails here with the victim named, not at jest's timeout.
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the lease did not end within 60 s of killing ${victim.containerId} (service ${victim.serviceId})`)), 60_000);
      });
      const error = await Promise.race([leaseEnd, stuck]).finally(() => clearTimeout(timer));
      expect(error).toBeInstanceOf(SwarmTaskError);
      expect(error).toMatchObject({ code: 'ERR_SWARM_TASK', state: 'failed', exitCode: 137 });

      // Replenished: 4 idle sessions again, on 4 services, the killed one gone.
      await pollUntil(() => pool.stats().idle === 4, 'pool.stats().idle === 4', { timeoutMs: 90_000, intervalMs: 50 });
      await pollUntil(async () => (await ours()).length === 4 && !(await ours()).includes(victim.serviceId), '(await ours()).length === 4 && !(await ours()).includes(victim.serviceId)', { timeoutMs: 30_000, intervalMs: 50 });
      const after = await ours();
      after.forEach((id) => seen.add(id));
      expect(after.filter((id) => !before.includes(id))).toHaveLength(1);
      expect(pool.stats()).toMatchObject({ size: 4, failed: 1, started: 5, startFailures: 0 });

      // A lease works again (on whichever session the pool hands out).
      const [echoed] = await stepAll(pool, 'again', 1);
      expect(echoed!.echoed).toBe('again-0');
    } finally {
      close();
    }
    await awaitRuntimeTeardowns();
    expect(await ours()).toEqual([]);
    expect(await containersOfServices(docker, [...seen])).toEqual([]);
  }, 240_000);

  it('perSwarmService packs sessions onto services up to the capacity a refusal teaches, and replaces every session of a killed service', async () => {
    const source = perSwarmService(Echo, image, { env: { OPENENV_ENV: 'echo', MAX_CONCURRENT_ENVS: '2' }, transport: 'ws', startTimeoutMs: 90_000 });
    const { pool, close } = await holdPool(envPool(source, { size: 4 }));
    const seen = new Set<string>();
    try {
      const before = await ours();
      before.forEach((id) => seen.add(id));
      expect(before).toHaveLength(2);
      expect(pool.stats()).toMatchObject({ size: 4, refusals: 2, startFailures: 0 });
      expect(pool.stats().servers.map((s) => [s.sessions, s.limit])).toEqual([
        [2, 2],
        [2, 2],
      ]);

      // Four leases at once: four sessions, two per service, each through its service's token (a
      // session without it would get a 401).
      const first = await stepAll(pool, 'one', 4);
      expect(first.map((r) => r.echoed)).toEqual(['one-0', 'one-1', 'one-2', 'one-3']);
      expect(new Set(first.map((r) => r.url)).size).toBe(2);

      const victim = await containerServing(pool.stats().servers[0]!.label);
      await docker.getContainer(victim.containerId).kill();

      // Both sessions of the killed service are replaced on a new service (limit known: 2).
      await pollUntil(() => pool.stats().idle === 4 && pool.stats().failed === 2, 'pool.stats().idle === 4 && pool.stats().failed === 2', { timeoutMs: 90_000, intervalMs: 50 });
      await pollUntil(async () => (await ours()).length === 2 && !(await ours()).includes(victim.serviceId), '(await ours()).length === 2 && !(await ours()).includes(victim.serviceId)', { timeoutMs: 30_000, intervalMs: 50 });
      const after = await ours();
      after.forEach((id) => seen.add(id));
      expect(pool.stats().servers.map((s) => [s.sessions, s.limit])).toEqual([
        [2, 2],
        [2, 2],
      ]);

      const again = await stepAll(pool, 'two', 4);
      expect(again.map((r) => r.echoed)).toEqual(['two-0', 'two-1', 'two-2', 'two-3']);
      expect(new Set(again.map((r) => r.url)).size).toBe(2);
    } finally {
      close();
    }
    await awaitRuntimeTeardowns();
    expect(await ours()).toEqual([]);
    expect(await containersOfServices(docker, [...seen])).toEqual([]);
  }, 240_000);
});
