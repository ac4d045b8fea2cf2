import { access, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { LABEL } from '../../src/runtime/docker/container-labels.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { containersOfServices } from '../swarm/support/swarm-test-support.js';
import { runCliChild, spawnCli, type CliChild } from './cli-child.js';
import { pollUntil } from '../support/poll.js';
import { swarmSuite } from '../support/engine-suite.js';

const engine = await swarmSuite();
const { docker } = engine;
const stall = './spec/cli/fixtures/stall-after-two-policy.mjs';
const gated = './spec/cli/fixtures/gated-after-k-policy.mjs';

describe('openenv-rx rollout --swarm flags (no engine needed)', () => {
  it.each([
    [['--swarm'], /--swarm runs the --image as swarm services; there is no --image/],
    [['--constraint', 'node.role==worker'], /--constraint place swarm services; add --swarm \(with --image\)/],
    [['--image', 'x', '--reserve-cpu', '1', '--limit-memory', '1g'], /--limit-memory, --reserve-cpu place swarm services; add --swarm/],
    [['--swarm', '--url', 'http://127.0.0.1:9'], /option '--swarm' cannot be used with option '--url/],
    [['--swarm', '--image', 'x', '--pull', 'always'], /--pull always is not available with --swarm/],
    [['--swarm', '--image', 'x', '--limit-memory', 'lots'], /expected a size such as 512m, 2g or a number of bytes, got "lots"/],
    [['--swarm', '--image', 'x', '--limit-cpu', '0'], /expected a number of cores > 0/],
  ])('rejects %j clearly', async (flags, message) => {
    const { code, err } = await runCliChild(['rollout', ...flags]);
    expect(code).not.toBe(0);
    expect(err).toMatch(message);
  }, 30_000);
});

/** Samples the services (with their specs) a child CLI owns until `stop()`; bounded to 2 000 samples. */
function sampleServices(owner: () => number | undefined): { seen: Map<string, Docker.Service>; stop: () => Promise<void> } {
  const seen = new Map<string, Docker.Service>();
  let sampling = true;
  const done = (async () => {
    for (let i = 0; sampling && i < 2_000; i++) {
      const pid = owner();
      if (pid !== undefined) {
        const services = await docker.listServices({ filters: { label: [`${LABEL.ownerPid}=${pid}`] } });
        for (const s of services) if (!seen.has(s.ID)) seen.set(s.ID, s);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    seen,
    stop: async () => {
      sampling = false;
      await done;
    },
  };
}

const pids: number[] = []; // read by the suite's sweep
engine.describe('openenv-rx rollout --swarm on a real single-node swarm (the CLI as a child process)', () => {
  let image: string;
  const track = (cli: CliChild): CliChild => {
    if (cli.child.pid !== undefined) pids.push(cli.child.pid);
    return cli;
  };

  beforeAll(async () => {
    image = await ensureServerImage();
  }, 240_000);

  it('runs one service per session with the placement, resources, env and token of the flags, and removes every one before exiting', async () => {
    const cli = track(
      spawnCli([
        'rollout', '--swarm', '--image', image, '--env', 'grid_world', '-n', '4', '-s', '2', '--seed', '1', '--max-steps', '20', '--json',
        '--constraint', 'node.role==manager', '--placement-pref', 'spread=node.labels.zone', '--reserve-cpu', '0.01', '--limit-cpu', '1.5',
        '--limit-memory', '256m', '--reserve-memory', '8m', '--token', 'cli-swarm-token-1',
      ]),
    );
    const sampler = sampleServices(() => cli.child.pid);
    const timer = setTimeout(() => cli.child.kill('SIGKILL'), 150_000);
    const code = await cli.exited;
    clearTimeout(timer);
    await sampler.stop();

    expect(cli.stderr()).not.toMatch(/ERR_/);
    expect(code).toBe(0);
    const report = JSON.parse(cli.stdout()) as RolloutReport;
    expect(report.target).toBe(`${image} (swarm)`);
    expect(report.overall.episodes).toBe(4);
    expect(report.perSession.reduce((n, p) => n + p.episodes, 0)).toBe(4);

    // One service per session, each carrying what the flags said.
    expect(sampler.seen.size).toBe(2);
    for (const service of sampler.seen.values()) {
      const task = service.Spec!.TaskTemplate as Docker.ContainerTaskSpec;
      expect(task.Placement).toEqual({ Constraints: ['node.role==manager'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] });
      expect(task.Resources).toEqual({
        Limits: { NanoCPUs: 1_500_000_000, MemoryBytes: 256 * 1024 * 1024 },
        Reservations: { NanoCPUs: 10_000_000, MemoryBytes: 8 * 1024 * 1024 },
      });
      expect(task.ContainerSpec!.Env).toEqual(expect.arrayContaining(['OPENENV_ENV=grid_world', 'OPENENV_TOKEN=cli-swarm-token-1']));
      expect(service.Spec!.EndpointSpec!.Ports).toEqual([{ Protocol: 'tcp', TargetPort: 8000, PublishMode: 'host' }]);
    }
    // The command awaited the teardowns: no service and no container is left when it exits.
    const ids = [...sampler.seen.keys()];
    expect((await docker.listServices({ filters: { label: [`${LABEL.ownerPid}=${cli.child.pid}`] } })).map((s) => s.ID)).toEqual([]);
    expect(await containersOfServices(docker, ids)).toEqual([]);
  }, 180_000);

  it('Ctrl-C mid-episode removes the services before the command exits with 130', async () => {
    const cli = track(spawnCli(['rollout', '--swarm', '--image', image, '--env', 'grid_world', '--policy', stall, '-n', '10', '-s', '2', '--json']));
    const sampler = sampleServices(() => cli.child.pid);
    try {
      await cli.waitFor(/2\/10 episodes/, 120_000);
    } finally {
      cli.child.kill('SIGINT');
    }
    expect(await cli.exited).toBe(130);
    await sampler.stop();
    expect((JSON.parse(cli.stdout()) as RolloutReport).interrupted).toBe(true);
    expect(sampler.seen.size).toBe(2);
    const ids = [...sampler.seen.keys()];
    expect((await docker.listServices({ filters: { label: [`${LABEL.ownerPid}=${cli.child.pid}`] } })).map((s) => s.ID)).toEqual([]);
    expect(await containersOfServices(docker, ids)).toEqual([]);
  }, 180_000);

  it('a task killed mid-run: its episode is reported failed, a new service replaces it, the run finishes and removes every service', async () => {
    const gate = join(await mkdtemp(join(tmpdir(), 'openenv-rx-gate-')), 'open');
    const cli = track(
      spawnCli(['rollout', '--swarm', '--image', image, '--env', 'grid_world', '--policy', gated, '-n', '6', '-s', '2', '--max-steps', '40', '--json'], {
        env: { OPENENV_RX_TEST_GATE: gate },
      }),
    );
    const sampler = sampleServices(() => cli.child.pid);
    const timer = setTimeout(() => cli.child.kill('SIGKILL'), 200_000);
    let code: number | null;
    try {
      // Both sessions wait in the policy (episodes 2 and 3, past their resets): the kill lands mid-episode.
      await cli.waitFor(/2\/6 episodes/, 120_000);
      const waiting = [`${gate}.waiting-2`, `${gate}.waiting-3`];
      const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);
      await pollUntil(async () => (await Promise.all(waiting.map(exists))).every(Boolean), `the files ${waiting.join(', ')}`, { timeoutMs: 60_000, intervalMs: 50 });
      // One of this child's tasks, found by its owner label; its container carries the service id.
      const tasks = (await docker.listTasks({ filters: { label: [`${LABEL.ownerPid}=${cli.child.pid}`], 'desired-state': ['running'] } })) as Array<{
        ServiceID: string;
      }>;
      const [container] = await docker.listContainers({
        filters: { label: [`com.docker.swarm.service.id=${tasks[0]!.ServiceID}`, 'openenv-rx.swarm-session'] },
      });
      await docker.getContainer(container!.Id).kill();
      // The progress line counts the loss, then the replacement running again.
      await cli.waitFor(/2\/2 sessions running.* 1 lost/, 120_000);
      await writeFile(gate, '');
      code = await cli.exited;
    } finally {
      clearTimeout(timer);
      await sampler.stop();
    }
    expect(cli.stderr()).not.toMatch(/openenv-rx: ERR_/);
    expect(code).toBe(0);
    const report = JSON.parse(cli.stdout()) as RolloutReport;
    expect(report.capacity).toMatchObject({ lost: 1, replaced: 1 });
    expect(Object.keys(report.capacity.lostBy)).toEqual([expect.stringMatching(/^ERR_(SWARM_TASK|CONNECTION_CLOSED)$/)]);
    // The loss was said as it happened: which session, why.
    expect(cli.stderr()).toMatch(/^session [01] lost \(replacing it in \d+ ms\): ERR_(SWARM_TASK|CONNECTION_CLOSED): /m);
    expect(report.overall).toMatchObject({ episodes: 6, failed: 1 });
    const failed = report.perEpisode.filter((e) => e.failed);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.episodeIndex === 2 || failed[0]!.episodeIndex === 3).toBe(true);
    expect(failed[0]!.error).toMatch(/ERR_SWARM_TASK|swarm task of service \S+ is (failed|shutdown|complete)/);
    expect(report.perEpisode.map((e) => e.episodeIndex)).toEqual([0, 1, 2, 3, 4, 5]);
    // Two services, then the replacement; none left behind.
    expect(sampler.seen.size).toBe(3);
    expect((await docker.listServices({ filters: { label: [`${LABEL.ownerPid}=${cli.child.pid}`] } })).map((s) => s.ID)).toEqual([]);
    expect(await containersOfServices(docker, [...sampler.seen.keys()])).toEqual([]);
  }, 240_000);

  it('fails with one typed line and leaves nothing behind: an image the manager lacks, a constraint no node satisfies', async () => {
    const missing = await runCliChild(['rollout', '--swarm', '--image', 'openenv-rx-cli-test/absent:never', '-n', '1', '-s', '1'], { timeoutMs: 90_000 });
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/openenv-rx: ERR_DOCKER: Image openenv-rx-cli-test\/absent:never is not present on the swarm manager \(--pull never runs/);
    expect(missing.err).toMatch(/pass --pull if-missing/);
    expect(missing.err).not.toMatch(/\{ pull:/);

    const cli = track(spawnCli(['rollout', '--swarm', '--image', image, '--constraint', 'node.labels.openenv-rx-test==nowhere', '-n', '1', '-s', '1', '--no-retry-capacity']));
    const sampler = sampleServices(() => cli.child.pid);
    const timer = setTimeout(() => cli.child.kill('SIGKILL'), 120_000);
    const code = await cli.exited;
    clearTimeout(timer);
    await sampler.stop();
    expect(code).toBe(1);
    expect(cli.stderr()).toMatch(/openenv-rx: ERR_SWARM_TASK: The env's swarm task of service \S+ is pending: no suitable node \(scheduling constraints not satisfied/);
    expect(sampler.seen.size).toBeGreaterThanOrEqual(1);
    expect((await docker.listServices({ filters: { label: [`${LABEL.ownerPid}=${cli.child.pid}`] } })).map((s) => s.ID)).toEqual([]);
  }, 240_000);
}, { owners: () => pids });
