import type Docker from 'dockerode';
import { lastValueFrom, switchMap, take } from 'rxjs';
import { z } from 'zod';
import { DockerError } from '../../src/errors/index.js';
import { envPool } from '../../src/fleet/env-pool.js';
import { swarmEndpoint, type SwarmEndpoint } from '../../src/runtime/swarm/swarm-endpoint.js';
import type { SwarmEndpointOptions } from '../../src/runtime/swarm/swarm-endpoint-options.js';
import { publishedHostPort, type SwarmTask } from '../../src/runtime/swarm/swarm-task.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { defineEnv } from '../../src/session/define-env.js';
import {
  clusterImage,
  clusterReachable,
  describeWithCluster,
  manager,
  managerOptions,
  nodeEngine,
  nodeOfUrl,
  ownCluster,
  ourServices,
  removeOurServices,
  requireCluster,
  type ClusterNode,
} from './support/cluster.js';
import { holdPool, stepAll } from '../fleet/support/pool-holds.js';

const available = await clusterReachable();

const Echo = defineEnv({
  name: 'echo',
  action: z.object({ message: z.string().min(1) }),
  observation: z.object({ echoed_message: z.string(), message_length: z.number() }),
});

/** Starts one endpoint, hands it to `use`, unsubscribes (removing the service). */
async function withEndpoint<T>(image: string, options: SwarmEndpointOptions, use: (endpoint: SwarmEndpoint) => Promise<T>): Promise<T> {
  const endpoint$ = swarmEndpoint(image, options);
  return new Promise<T>((resolve, reject) => {
    const subscription = endpoint$.subscribe({
      next: (endpoint) => void use(endpoint).then(resolve, reject).finally(() => subscription.unsubscribe()),
      error: reject,
    });
  });
}

describeWithCluster(available)('sessions pinned to tasks on every node of a real three-node swarm', () => {
  let image: string;
  let nodes: ClusterNode[];
  const base = (): SwarmEndpointOptions & { transport: 'ws' } => ({
    docker: managerOptions(),
    env: { OPENENV_ENV: 'echo' },
    transport: 'ws',
    startTimeoutMs: 60_000,
  });

  beforeAll(async () => {
    nodes = await requireCluster(); // CI=true without the cluster: fails here
    image = await clusterImage('server');
  }, 60_000);

  afterEach(() => awaitRuntimeTeardowns());
  afterAll(async () => {
    await awaitRuntimeTeardowns();
    if (available) await removeOurServices();
  });

  it('a pool of 6 spread over the nodes (preference spread=node.id): each session is served at its own node address, 2 per node, and steps there', async () => {
    const { pool, close } = await holdPool(envPool(Echo.fromSwarmService(image, { ...base(), preferences: ['node.id'] }), { size: 6 }));
    try {
      const results = await stepAll(pool, 'spread', 6);
      expect(results.map((r) => r.echoed)).toEqual(['spread-0', 'spread-1', 'spread-2', 'spread-3', 'spread-4', 'spread-5']);
      // Every session dials a node's own address (not loopback, not the manager's for all).
      const served = results.map((r) => nodeOfUrl(nodes, r.url)?.hostname);
      expect(served.every((h) => h !== undefined)).toBe(true);
      const perNode = new Map<string, number>();
      for (const h of served) perNode.set(h!, (perNode.get(h!) ?? 0) + 1);
      expect([...perNode.values()]).toEqual([2, 2, 2]);
      // Six sessions, six distinct (address, port) pairs: each pinned to its own task.
      expect(new Set(results.map((r) => r.url)).size).toBe(6);
    } finally {
      close();
    }
    await awaitRuntimeTeardowns();
    expect(await ourServices()).toEqual([]);
  }, 180_000);

  it('constraints place every session on the nodes they name, and the session reaches the task there', async () => {
    const target = nodes[1]!;
    const endpoints = await Promise.all(
      [0, 1].map(() =>
        withEndpoint(image, { ...base(), constraints: [`node.hostname==${target.hostname}`] }, async (endpoint) => {
          const reply = await lastValueFrom(
            Echo.connect(endpoint.url, { transport: 'ws', headers: endpoint.headers }).pipe(
              switchMap((env) => env.reset().pipe(switchMap(() => env.step({ message: 'pinned' })))),
              take(1),
            ),
          );
          return { nodeId: endpoint.nodeId, url: endpoint.url, echoed: reply.observation.echoed_message };
        }),
      ),
    );
    for (const e of endpoints) {
      expect(e).toMatchObject({ nodeId: target.id, echoed: 'pinned' });
      expect(new URL(e.url).hostname).toBe(target.addr);
    }
    // Workers only: the manager's node is never used.
    const onWorkers = await withEndpoint(image, { ...base(), constraints: ['node.role==worker'] }, async (e) => e.nodeId);
    const managers = ((await manager.listNodes()) as Array<{ ID: string; Spec?: { Role?: string } }>).filter((n) => n.Spec?.Role === 'manager').map((n) => n.ID);
    expect(managers.length).toBeGreaterThan(0);
    expect(managers).not.toContain(onWorkers);
    await awaitRuntimeTeardowns();
    expect(await ourServices()).toEqual([]);
  }, 180_000);

  it("addressFamily 'ipv6' dials the task's IPv6 binding at the node's IPv6 address; an IPv4 address for it is a DockerError naming the node", async () => {
    const ipv6Of = (n: { labels: Record<string, string> }): string => n.labels['openenv-rx-mn.ipv6'] ?? '';
    if (!nodes.every((n) => ipv6Of(n))) throw new Error('the nodes carry no openenv-rx-mn.ipv6 label (scripts/multinode-swarm.sh up sets it)');
    const target = nodes[2]!;
    // A container on the target node publishing an IPv4-only port moves the engine's IPv4
    // allocator one port ahead of its IPv6 one: the task's two bindings then differ, so dialing
    // the IPv4 binding's number at the IPv6 address would be refused.
    const local = /^ormn-node(\d)$/.exec(target.hostname)?.[1];
    let shifter: Docker.Container | undefined;
    if (local && !ownCluster) {
      shifter = await nodeEngine(Number(local)).createContainer({
        Image: image,
        Labels: { 'openenv-rx-mn.test': 'port-shift' },
        ExposedPorts: { '8000/tcp': {} },
        HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '0.0.0.0', HostPort: '' }] }, AutoRemove: false },
      });
      await shifter.start();
    }
    try {
      const reply = await withEndpoint(image, { ...base(), constraints: [`node.id==${target.id}`], addressFamily: 'ipv6', nodeAddress: ipv6Of }, async (endpoint) => {
        const [task] = (await manager.listTasks({ filters: { service: [endpoint.serviceId] } })) as SwarmTask[];
        const step = await lastValueFrom(
          Echo.connect(endpoint.url, { transport: 'ws', headers: endpoint.headers }).pipe(
            switchMap((env) => env.reset().pipe(switchMap(() => env.step({ message: 'six' })))),
            take(1),
          ),
        );
        return { url: endpoint.url, echoed: step.observation.echoed_message, v4: publishedHostPort(task!, 8000, 'ipv4'), v6: publishedHostPort(task!, 8000, 'ipv6') };
      });
      expect(reply.url).toBe(`http://[${ipv6Of(target)}]:${reply.v6}`);
      expect(reply.echoed).toBe('six');
      if (shifter) expect(reply.v6).not.toBe(reply.v4);
    } finally {
      await shifter?.remove({ force: true });
    }

    // The node advertises IPv4: asking for IPv6 without saying how to reach the node fails typed.
    const error = await lastValueFrom(swarmEndpoint(image, { ...base(), constraints: [`node.id==${target.id}`], addressFamily: 'ipv6' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerError);
    expect(error).toMatchObject({ code: 'ERR_DOCKER', message: expect.stringContaining(`Swarm node ${target.hostname} is reached at ${target.addr}, an IPv4 address`) });
    await awaitRuntimeTeardowns();
    expect(await ourServices()).toEqual([]);
  }, 180_000);
});
