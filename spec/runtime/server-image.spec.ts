import { concat, firstValueFrom, switchMap, toArray } from 'rxjs';
import { dockerEndpoint } from '../../src/runtime/docker/docker-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { openTransport } from '../../src/transport/open-transport.js';
import { containersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { dockerSuite } from '../support/engine-suite.js';

const engine = await dockerSuite();
const { docker } = engine;

engine.describe('our built-in server in a FROM-scratch container (docker/server-entry.mjs)', () => {
  let image: string;

  beforeAll(async () => {
    image = await ensureServerImage(); // may run `npm run build` first
  }, 180_000);

  it('serves OPENENV_ENV=grid_world: auto transport picks /ws, an episode steps, SIGTERM stops it quickly', async () => {
    const results = await firstValueFrom(
      dockerEndpoint(image, { env: { OPENENV_ENV: 'grid_world' } }).pipe(
        switchMap((endpoint) => openTransport(endpoint.url)),
        switchMap((t) => concat(t.reset(), t.step({ action: 'DOWN' }), t.step({ action: 'RIGHT' })).pipe(toArray())),
      ),
    );
    // OpenEnv's grid_world: DOWN moves x (the row), RIGHT moves y.
    expect(results.map((r) => [r.observation['x'], r.observation['y']])).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(results[1]?.reward).toBeCloseTo(-0.1);
    const t0 = performance.now();
    await awaitRuntimeTeardowns();
    // The entry closes on SIGTERM: below the 2 s stop grace that an unhandled SIGTERM would cost.
    expect(performance.now() - t0).toBeLessThan(1_900);
    expect(await containersOwnedBy(docker, [process.pid])).toEqual([]);
  }, 30_000);
});
