import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { containersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { spawnCli, type CliChild } from './cli-child.js';
import { dockerSuite } from '../support/engine-suite.js';

// Ctrl-C / SIGTERM during a run on containers: the same orderly stop as the other targets. The
// containers must be gone when the process exits (checked right after the exit, before the
// detached cleanup child that an exit by signal would start could have acted).

const stall = './spec/cli/fixtures/stall-after-two-policy.mjs';
const engine = await dockerSuite();
const { docker } = engine;
const tmp = mkdtempSync(join(tmpdir(), 'openenv-rx-interrupt-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const children: CliChild[] = []; // read by the suite's sweep
engine.describe('Ctrl-C / SIGTERM during a run with --image (real CLI child, real engine)', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureServerImage();
  }, 180_000);
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
  });

  /** Runs until two episodes are done (the stall policy then holds both sessions mid-episode), sends `signal`. */
  async function interrupt(args: string[], signal: NodeJS.Signals): Promise<{ cli: CliChild; code: number | null; left: string[] }> {
    const cli = spawnCli([...args, '--image', image, '--env', 'grid_world', '--policy', stall, '-n', '10', '-s', '2']);
    children.push(cli);
    try {
      await cli.waitFor(/2\/10 episodes/, 120_000);
      // Containers are running (rollout: one per session; collect: as many as the pool packed the sessions onto).
      expect((await containersOwnedBy(docker, [cli.child.pid!])).length).toBeGreaterThan(0);
    } finally {
      cli.child.kill(signal);
    }
    const code = await cli.exited;
    return { cli, code, left: await containersOwnedBy(docker, [cli.child.pid!]) };
  }

  it('rollout, SIGINT: summary marked interrupted, exit 130, no container left at exit', async () => {
    const { cli, code, left } = await interrupt(['rollout', '--json'], 'SIGINT');
    expect({ code, left }).toEqual({ code: 130, left: [] });
    const report = JSON.parse(cli.stdout()) as RolloutReport;
    expect(report).toMatchObject({ interrupted: true, signal: 'SIGINT', overall: { episodes: 2 } });
  }, 180_000);

  it('rollout, SIGTERM: the same, with exit 143', async () => {
    const { cli, code, left } = await interrupt(['rollout'], 'SIGTERM');
    expect({ code, left }).toEqual({ code: 143, left: [] });
    expect(cli.stdout()).toMatch(/interrupted: 2 of 10 episodes finished/);
  }, 180_000);

  it('collect, SIGTERM: summary and metadata marked interrupted, exit 143, no container left at exit', async () => {
    const out = join(tmp, 'collect-term');
    const { cli, code, left } = await interrupt(['collect', '-o', out, '--max-steps', '40'], 'SIGTERM');
    expect({ code, left }).toEqual({ code: 143, left: [] });
    expect(cli.stdout()).toMatch(/\(run 1, interrupted\)/);
    expect(cli.stdout()).toMatch(/planned 10: recorded 2 now/);
  }, 180_000);
}, { owners: () => children.map((c) => c.child.pid!) });
