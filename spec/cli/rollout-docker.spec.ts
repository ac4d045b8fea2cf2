import Docker from 'dockerode';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { checkDockerReachable } from '../../src/runtime/docker/docker-client.js';
import { containersOwnedBy, describeWithDocker, dockerReachable, removeContainersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { cli } from './cli-support.js';

const docker = new Docker();
const available = await dockerReachable(docker);

describeWithDocker(available)('openenv-rx rollout --image (real engine)', () => {
  let image: string;
  beforeAll(async () => {
    await checkDockerReachable(docker);
    image = await ensureServerImage();
  }, 180_000);
  afterAll(async () => {
    if (available) await removeContainersOwnedBy(docker, [process.pid]);
  });

  it('runs one container per session and removes every one before returning', async () => {
    const seen = new Set<string>();
    // Sample the labelled containers while the rollout runs (bounded: stops with the command).
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 600; i++) {
        for (const id of await containersOwnedBy(docker, [process.pid])) seen.add(id);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const { code, out, err } = await cli('rollout', '--image', image, '--env', 'grid_world', '-n', '4', '-s', '2', '--seed', '1', '--max-steps', '20', '--json');
    sampling = false;
    await sampler;
    expect(err).not.toMatch(/ERR_/);
    expect(code).toBe(0);
    const report = JSON.parse(out) as RolloutReport;
    expect(report.target).toBe(`${image} (docker)`);
    expect(report.overall.episodes).toBe(4);
    // Episodes come from a shared queue: a session that is up first may run them all, but every
    // session got its own container.
    expect(report.perSession.reduce((n, p) => n + p.episodes, 0)).toBe(4);
    expect(seen.size).toBe(2);
    // The command awaited the teardowns: nothing is left when it returns.
    expect(await containersOwnedBy(docker, [process.pid])).toEqual([]);
  }, 60_000);
});
