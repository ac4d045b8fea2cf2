import { firstValueFrom, from, switchMap } from 'rxjs';
import { envPool } from '../../src/fleet/env-pool.js';
import { perServer } from '../../src/fleet/pool-source.js';
import { vectorEnv } from '../../src/fleet/vector-env.js';
import { dockerEndpoint } from '../../src/runtime/docker/docker-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { containersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureServerImage, ensureTestImage } from '../fixtures/test-image.js';
import { pollUntil } from '../support/poll.js';
import { dockerSuite } from '../support/engine-suite.js';
import { Echo } from '../fixtures/typed-echo.js';

const engine = await dockerSuite();
const { docker } = engine;
const mine = (): Promise<string[]> => containersOwnedBy(docker, [process.pid]);


engine.describe('envPool of Docker containers', () => {
  let serverImage: string;
  let fixtureImage: string;

  beforeAll(async () => {
    [serverImage, fixtureImage] = await Promise.all([ensureServerImage(), ensureTestImage()]);
  }, 170_000);


  it('packs sessions into containers up to the capacity a refusal reports, steps a vector over them, and removes every container', async () => {
    // Our server image with MAX_CONCURRENT_ENVS=2: 4 sessions need 2 containers, learned from a refusal.
    const server$ = dockerEndpoint(serverImage, { env: { OPENENV_ENV: 'echo', MAX_CONCURRENT_ENVS: '2' }, startTimeoutMs: 60_000 });
    const source = perServer(server$, (endpoint$) => Echo.fromEndpoint(endpoint$, { transport: 'ws' }));
    const result = await firstValueFrom(
      envPool(source, { size: 4 }).pipe(
        switchMap((pool) =>
          vectorEnv(pool, { num: 4 }).pipe(
            switchMap((v) =>
              from(
                (async () => {
                  const containers = (await mine()).length;
                  await firstValueFrom(v.reset({ seed: 3 }));
                  const steps = [];
                  for (const word of ['one', 'two', 'three']) steps.push(await firstValueFrom(v.step(Array.from({ length: 4 }, () => ({ message: word })))));
                  return { containers, steps, stats: pool.stats() };
                })(),
              ),
            ),
          ),
        ),
      ),
    );
    expect(result.containers).toBe(2);
    expect(result.stats).toMatchObject({ size: 4, refusals: 2, startFailures: 0 });
    expect(result.stats.servers.map((s) => [s.sessions, s.limit])).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expect(result.steps.map((s) => s.observations.map((o) => o.echoed_message))).toEqual([
      ['one', 'one', 'one', 'one'],
      ['two', 'two', 'two', 'two'],
      ['three', 'three', 'three', 'three'],
    ]);
    await awaitRuntimeTeardowns();
    expect(await mine()).toEqual([]);
  }, 170_000);

  it('replaces a container that is killed under an idle session; unsubscribing removes every container', async () => {
    const result = await firstValueFrom(
      envPool(Echo.fromDockerImage(fixtureImage, { transport: 'ws', startTimeoutMs: 60_000 }), { size: 3 }).pipe(
        switchMap((pool) =>
          from(
            (async () => {
              const before = await mine();
              await docker.getContainer(before[0]!).kill();
              const replaced = await pollUntil(() => pool.stats().failed === 1 && pool.stats().idle === 3, 'pool.stats().failed === 1 && pool.stats().idle === 3', { timeoutMs: 60_000, intervalMs: 50 }).then(() => true, () => false);
              const after = await mine();
              return { before, replaced, after, stats: pool.stats() };
            })(),
          ),
        ),
      ),
    );
    expect(result.before).toHaveLength(3);
    expect(result.replaced).toBe(true);
    expect(result.stats).toMatchObject({ size: 3, failed: 1, started: 4 });
    // The killed container is gone, a new one took its place.
    expect(result.after).toHaveLength(3);
    expect(result.after).not.toContain(result.before[0]);
    await awaitRuntimeTeardowns();
    expect(await mine()).toEqual([]);
  }, 170_000);
});
