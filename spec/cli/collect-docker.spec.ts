import type { CollectSummary } from '../../src/fleet/collect.js';
import { containersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { plannedIds, readResults, useTempDirs } from '../fleet/support/collect-files.js';
import { cli } from './cli-support.js';
import { dockerSuite } from '../support/engine-suite.js';

const engine = await dockerSuite();
const { docker } = engine;

engine.describe('openenv-rx collect --image (real engine)', () => {
  const tempDir = useTempDirs();
  let image: string;
  beforeAll(async () => {
    image = await ensureServerImage();
  }, 180_000);

  /** Runs collect while sampling our labelled containers; returns the summary and the containers seen. */
  const run = async (...args: string[]) => {
    const seen = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 1200; i++) {
        for (const id of await containersOwnedBy(docker, [process.pid])) seen.add(id);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const out = tempDir();
    const result = await cli('collect', '--image', image, '--env', 'echo', '-o', out, '-n', '6', '-s', '3', '--max-steps', '2', '--json', ...args);
    sampling = false;
    await sampler;
    expect({ code: result.code, err: result.code === 0 ? '' : result.err }).toEqual({ code: 0, err: '' });
    return { summary: JSON.parse(result.out) as CollectSummary, seen, out };
  };

  it('containers that take one session each: the limit is learnt from refusals, three containers, all removed', async () => {
    const { summary, seen, out } = await run();
    expect(summary).toMatchObject({ status: 'completed', recorded: 6, failed: 0 });
    expect(summary.pool!.refusals).toBeGreaterThanOrEqual(1);
    expect(summary.latency.server?.count).toBeGreaterThanOrEqual(3);
    expect(new Set(readResults(out).map((r) => r.extra.server)).size).toBe(3);
    expect(readResults(out).map((r) => r.episode_id).sort()).toEqual(plannedIds(0, 6));
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect(await containersOwnedBy(docker, [process.pid])).toEqual([]);
  }, 120_000);

  it('--sessions-per-server 3 with MAX_CONCURRENT_ENVS=3: one container holds all three sessions, no refusal', async () => {
    const { summary, seen, out } = await run('--sessions-per-server', '3', '-e', 'MAX_CONCURRENT_ENVS=3');
    expect(summary).toMatchObject({ status: 'completed', recorded: 6, failed: 0 });
    expect(summary.pool!.refusals).toBe(0);
    expect(summary.latency.server?.count).toBe(1);
    expect(new Set(readResults(out).map((r) => r.extra.server)).size).toBe(1);
    expect(seen.size).toBe(1);
    expect(await containersOwnedBy(docker, [process.pid])).toEqual([]);
  }, 120_000);
});
