import Docker from 'dockerode';
import { concat, firstValueFrom, from, map, switchMap, take, toArray } from 'rxjs';
import { z } from 'zod';
import { HttpStatusError } from '../../src/errors/index.js';
import { swarmEndpoint } from '../../src/runtime/swarm/swarm-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { defineEnv } from '../../src/session/define-env.js';
import { openTransport } from '../../src/transport/open-transport.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { containersOfServices, serviceExists, servicesOwnedBy } from './support/swarm-test-support.js';
import { swarmSuite } from '../support/engine-suite.js';

const engine = await swarmSuite();
const { docker } = engine;

const GridWorld = defineEnv({
  name: 'grid_world',
  action: z.object({ action: z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) }),
  observation: z.object({ x: z.number(), y: z.number(), message: z.string() }),
});

engine.describe('fromSwarmService on a real single-node swarm', () => {
  let image: string;

  beforeAll(async () => {
    image = await ensureServerImage();
  }, 240_000);

  it('runs an episode through the task host-mode port; the service carries owner labels and is gone with its container after unsubscribe', async () => {
    let stopped: { serviceId?: string } | undefined;
    const moves = ['DOWN', 'DOWN', 'DOWN', 'DOWN', 'RIGHT', 'RIGHT', 'RIGHT', 'RIGHT'] as const;
    const { results, spec, url } = await firstValueFrom(
      GridWorld.fromSwarmService(image, { env: { OPENENV_ENV: 'grid_world' }, onStopped: (info) => (stopped = info) }).pipe(
        switchMap((env) =>
          from(docker.listServices({ filters: { label: [`openenv-rx.owner-pid=${process.pid}`] } })).pipe(
            switchMap((services) =>
              env.episode((_, last) => ({ action: moves[last.index]! }), { seed: 1 }).pipe(
                toArray(),
                // This suite runs one session at a time: the one service of this pid is this session's.
                map((results) => ({ results, spec: services.length === 1 ? services[0] : undefined, url: env.url })),
              ),
            ),
          ),
        ),
      ),
    );
    await awaitRuntimeTeardowns();

    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // the node's advertised address, engine-chosen port
    expect(results.map((r) => [r.observation.x, r.observation.y])).toEqual([
      [0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [4, 1], [4, 2], [4, 3], [4, 4],
    ]);
    expect(results.at(-1)).toMatchObject({ done: true, reward: 1 });

    const labels = spec!.Spec!.Labels!;
    expect(labels).toMatchObject({ 'openenv-rx': '1', 'openenv-rx.owner-pid': String(process.pid) });
    expect(labels['openenv-rx.session']).toMatch(/^[0-9a-f-]{36}$/);
    const task = spec!.Spec!.TaskTemplate as Docker.ContainerTaskSpec;
    expect(task.RestartPolicy?.Condition).toBe('none');
    expect(task.ContainerSpec?.Image).toMatch(/^sha256:[0-9a-f]{64}$/); // pull 'never': pinned to the manager's image ID
    expect(spec!.Spec!.EndpointSpec?.Ports).toEqual([{ Protocol: 'tcp', TargetPort: 8000, PublishMode: 'host' }]);
    expect(spec!.Spec!.Mode).toEqual({ Replicated: { Replicas: 1 } });

    expect(stopped?.serviceId).toBe(spec!.ID);
    expect(await serviceExists(docker, spec!.ID)).toBe(false);
    expect(await containersOfServices(docker, [spec!.ID])).toEqual([]);
  }, 60_000);

  it('the served env requires the per-service token: 401 without it, an episode with the headers the endpoint carries', async () => {
    const outcome = await firstValueFrom(
      swarmEndpoint(image).pipe(
        switchMap((endpoint) => {
          const without = firstValueFrom(openTransport(endpoint.url, { transport: 'ws' })).then(
            () => 'connected',
            (error: unknown) => error,
          );
          const wrongToken = firstValueFrom(openTransport(endpoint.url, { headers: { authorization: 'Bearer nope' } })).then(
            () => 'connected',
            (error: unknown) => error,
          );
          const withToken = openTransport(endpoint.url, { transport: 'ws', headers: endpoint.headers }).pipe(
            switchMap((t) => concat(t.reset(), t.step({ message: 'hi' })).pipe(toArray())),
            take(1),
          );
          return from(Promise.all([without, wrongToken, firstValueFrom(withToken), docker.getService(endpoint.serviceId).inspect()])).pipe(
            map(([noToken, badToken, results, service]) => ({ endpoint, noToken, badToken, results, service: service as Docker.Service })),
          );
        }),
      ),
    );
    expect(outcome.noToken).toBeInstanceOf(HttpStatusError);
    expect((outcome.noToken as HttpStatusError).status).toBe(401);
    expect(outcome.badToken).toBeInstanceOf(HttpStatusError);
    expect((outcome.badToken as HttpStatusError).status).toBe(401);
    expect(outcome.results.map((r) => r.observation)).toEqual([
      { echoed_message: 'Echo environment ready!', message_length: 0 },
      { echoed_message: 'hi', message_length: 2 },
    ]);
    const token = /^Bearer (.+)$/.exec(outcome.endpoint.headers['authorization']!)![1]!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits
    const env = (outcome.service.Spec!.TaskTemplate as Docker.ContainerTaskSpec).ContainerSpec!.Env!;
    expect(env).toContain(`OPENENV_TOKEN=${token}`);
  }, 60_000);

  it('leaves no service and no container after 20 subscribe/unsubscribe cycles at every stage of the start', async () => {
    const serviceIds: string[] = [];
    let stoppedCount = 0;
    // Unsubscribe at once, mid-create, while the task starts, and once ready.
    const delays = [0, 5, 30, 100, 250, 500, 800, 'ready', 'ready', 'ready'] as const;
    const cycle = async (i: number): Promise<void> => {
      const delay = delays[i % delays.length]!;
      const endpoint$ = swarmEndpoint(image, {
        onStopped: (info) => {
          stoppedCount++;
          if (info.serviceId) serviceIds.push(info.serviceId);
        },
      });
      if (delay === 'ready') {
        await firstValueFrom(endpoint$); // firstValueFrom unsubscribes after the first value
      } else {
        const subscription = endpoint$.subscribe({ error: (error: unknown) => fail(error) });
        await new Promise((resolve) => setTimeout(resolve, delay));
        subscription.unsubscribe();
      }
    };
    // Four cycles at a time (bounded: 20 cycles in all).
    for (let i = 0; i < 20; i += 4) await Promise.all([0, 1, 2, 3].map((k) => cycle(i + k)));
    await awaitRuntimeTeardowns();

    expect(stoppedCount).toBe(20);
    expect(serviceIds.length).toBeGreaterThanOrEqual(6); // at least the 6 'ready' ones created a service (the others depend on timing)
    expect(await servicesOwnedBy(docker, [process.pid])).toEqual([]);
    expect(await containersOfServices(docker, serviceIds)).toEqual([]);
  }, 180_000);
});
