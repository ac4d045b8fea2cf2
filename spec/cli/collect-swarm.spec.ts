import type { CollectSummary } from '../../src/fleet/collect.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { plannedIds, readResults, useTempDirs } from '../fleet/support/collect-files.js';
import { containersOfServices, servicesOwnedBy } from '../swarm/support/swarm-test-support.js';
import { cli } from './cli-support.js';
import { swarmSuite } from '../support/engine-suite.js';

const engine = await swarmSuite();
const { docker } = engine;

engine.describe('openenv-rx collect --swarm (real single-node swarm)', () => {
  const tempDir = useTempDirs();
  let image: string;
  beforeAll(async () => {
    image = await ensureServerImage();
  }, 240_000);

  it('runs the episodes on swarm services packed up to --sessions-per-server, and removes every service', async () => {
    const seen = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 2_000; i++) {
        for (const id of await servicesOwnedBy(docker, [process.pid])) seen.add(id);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const out = tempDir();
    const result = await cli(
      'collect', '--swarm', '--image', image, '--env', 'echo', '-e', 'MAX_CONCURRENT_ENVS=2', '--sessions-per-server', '2',
      '-o', out, '-n', '4', '-s', '2', '--max-steps', '2', '--json',
    );
    sampling = false;
    await sampler;
    expect({ code: result.code, err: result.code === 0 ? '' : result.err }).toEqual({ code: 0, err: '' });
    const summary = JSON.parse(result.out) as CollectSummary;
    expect(summary).toMatchObject({ status: 'completed', recorded: 4, failed: 0 });
    expect(readResults(out).map((r) => r.episode_id).sort()).toEqual(plannedIds(0, 4));
    // Both sessions on one service: --swarm reached the pool (not a local container per session).
    expect(seen.size).toBe(1);
    expect(await servicesOwnedBy(docker, [process.pid])).toEqual([]);
    expect(await containersOfServices(docker, [...seen])).toEqual([]);
  }, 180_000);
});
