import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defer } from 'rxjs';
import { dockerEndpoint } from '../../../src/runtime/docker/docker-endpoint.js';
import { awaitRuntimeTeardowns } from '../../../src/runtime/teardown-registry.js';
import { containersOwnedBy, removeContainersOwnedBy } from '../../fixtures/docker-test-support.js';
import { ensureServerImage, repoPath } from '../../fixtures/test-image.js';
import { containersOfServices, removeServicesOwnedBy, servicesOwnedBy, swarmReachable } from '../../swarm/support/swarm-test-support.js';
import { installFaultGuards } from '../support/fault-guards.js';
import { readFailures, readResults, plannedIds } from '../../fleet/support/collect-files.js';
import { pidAlive } from '../support/server-processes.js';
import { CELLS, cellName, cellsOf, type Cell } from './cells.js';
import { runCli, SEQ_POLICY, trailOf } from './support/cli-run.js';
import { buildSeqImage, followLedgers, removeSeqImage } from './support/seq-image.js';
import { replayed, trailViolations } from './support/trail.js';
import { FaultPlan } from './support/fault-plan.js';
import { expectCell, runStartedServersCell, TIMEOUTS } from './support/library-cell.js';
import { runRollouts, Seq } from './support/library-drivers.js';
import { pollUntil } from '../../support/poll.js';
import { dockerSuite } from '../../support/engine-suite.js';

const engine = await dockerSuite();
const { docker, available } = engine;
const swarmAvailable = available && (await swarmReachable(docker));
/** Each Docker cell takes 10-20 s here: the default run takes the rollouts row of each source, `npm run soak:faults` all. */
const FULL = process.env['MATRIX_FULL'] === '1';
const inDefaultRun = (cell: Cell) => FULL || cell.driver === 'rollouts';

/**
 * Containers of our server image running the matrix's seq env with the real CLI (`openenv-rx serve`
 * over the image's dist/), the env module and zod bind-mounted read-only, the ledger directory
 * read-write. `docker kill` is the fault.
 */
const containerServers = (image: string, ledgerDir: string) => ({
  server$: (id: string) =>
    dockerEndpoint(image, {
      cmd: ['/app/dist/cli/main.js', 'serve', '/matrix/seq-env.mjs', '--host', '0.0.0.0', '--port', '8000', '--max-sessions', '2'],
      env: { MATRIX_LEDGER_DIR: '/ledger', MATRIX_SERVER_ID: id },
      createOptions: {
        HostConfig: {
          Binds: [`${repoPath('spec/faults/matrix/support')}:/matrix:ro`, `${repoPath('node_modules/zod')}:/node_modules/zod:ro`, `${ledgerDir}:/ledger`],
        },
      },
      startTimeoutMs: 60_000,
      stopGraceS: 1,
    }),
  signal: async (endpoint: { id?: string }, signal: NodeJS.Signals) => {
    const container = docker.getContainer(endpoint.id!);
    await (signal === 'SIGKILL' ? container.kill() : Promise.resolve()).catch(() => undefined);
  },
  leftovers: async () => (await containersOwnedBy(docker, [process.pid])).map((id) => `container ${id.slice(0, 12)}`),
});

/** The container of the service whose server id is `id` (its MATRIX_SERVER_ID). */
async function containerOf(id: string): Promise<string | undefined> {
  for (const serviceId of await servicesOwnedBy(docker, [process.pid])) {
    const spec = (await docker.getService(serviceId).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Env?: string[] } } } };
    if (spec.Spec.TaskTemplate.ContainerSpec.Env?.includes(`MATRIX_SERVER_ID=${id}`)) return (await containersOfServices(docker, [serviceId]))[0];
  }
  return undefined;
}

// The library drivers over containers the pool starts (`perServer(dockerEndpoint(...))`, 2 sessions
// each; the first container is killed under a step in flight) and rollouts over swarm services (one
// service of one task per session; the first session's task container is killed). One image build
// for both (our server image, running the seq env with the real CLI).
engine.describe('fault matrix: drivers over containers and swarm services', () => {
  installFaultGuards();
  let image: string;
  let seqImage: string;
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-matrix-d-'));
    dirs.push(dir);
    return dir;
  };
  beforeAll(async () => {
    image = await ensureServerImage();
    // The CLI's --image/--swarm cells (soak run) need the seq env inside the image.
    if (FULL) seqImage = await buildSeqImage(docker, image);
  }, 170_000);
  afterAll(async () => {
    await awaitRuntimeTeardowns();
    // Before the suite's own sweep: the seq image goes only once no container of ours uses it.
    if (available) await removeContainersOwnedBy(docker, [process.pid]);
    if (swarmAvailable) await removeServicesOwnedBy(docker, [process.pid]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    if (available) await removeSeqImage(docker, seqImage);
  });

  let n = 0;
  for (const driver of ['rollouts', 'vectorEnv', 'collect'] as const) {
    for (const cell of cellsOf(driver, 'containers').filter(inDefaultRun)) {
      it(cellName(cell), async () => {
        const ledgerDir = tempDir();
        await runStartedServersCell(cell, containerServers(image, ledgerDir), { tag: `k${n++}`, ledgerDir, ...(driver === 'collect' ? { out: join(tempDir(), 'out') } : {}) });
      }, 120_000);
    }
  }

  // Under CI=true a missing swarm fails here (SwarmUnavailableError from the runtime), never skips.
  const itSwarm = swarmAvailable || process.env['CI'] ? it : it.skip;

  /**
   * `openenv-rx collect --image` (or `--image --swarm`) of the seq image: 4 sessions packed 2 per
   * server. Episode 5's second step is held; once a server's ledger (its container's logs) shows it,
   * that container is killed. Asserts what every cell asserts: exit 0, every planned episode
   * recorded or failed with the fault's cause, the held step unknown and never replayed, nothing
   * mis-paired, a server started after the kill used, no container or service of the CLI left.
   */
  async function cliCollectCell(swarm: boolean) {
    const out = join(tempDir(), 'out');
    const episodes = 16;
    const held = 's0-e000005';
    const gate = join(tempDir(), 'gate');
    const cli = runCli(
      ['collect', '--image', seqImage, ...(swarm ? ['--swarm'] : []), '-e', 'MATRIX_LEDGER_STDOUT=1', '--policy', SEQ_POLICY, '-o', out, '-n', String(episodes), '-s', '4', '--max-steps', '4', '--seed', '0', '--reply-timeout', '60', '--json'],
      { MATRIX_HOLD_EPISODE: held, MATRIX_GATE_FILE: gate },
      150_000,
    );
    const containers = async () => (swarm ? containersOfServices(docker, await servicesOwnedBy(docker, [cli.pid])) : containersOwnedBy(docker, [cli.pid]));
    const ledgers = followLedgers(docker, containers);
    try {
      const holdLine = `hold${held}#2`;
      let exited = false;
      void cli.done.then(() => (exited = true));
      await pollUntil(() => exited || ledgers.containerWith(holdLine) !== undefined, 'the held step to reach its server', { timeoutMs: 120_000 });
      if (exited) throw new Error(`the CLI ended before the fault: ${(await cli.done).err}`);
      const before = new Set(ledgers.containers().map((id) => id.slice(0, 12)));
      // The old servers' sessions wait (the policy's gate) until a server started after the kill answered.
      writeFileSync(gate, [...before].join('\n'));
      await docker.getContainer(ledgers.containerWith(holdLine)!).kill();
      const fresh = () => ledgers.containers().some((id) => !before.has(id.slice(0, 12)) && (ledgers.linesOf(id).length > 0));
      await pollUntil(() => exited || fresh(), 'a server started after the kill to answer a step', { timeoutMs: 90_000 });
      rmSync(gate);
      const { code, out: stdout, err } = await cli.done;
      expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
      const summary = JSON.parse(stdout) as { status: string; failed: number };
      const failures = readFailures(out);
      expect(summary).toMatchObject({ status: 'completed', failed: failures.length });
      expect([...readResults(out).map((r) => r.episode_id), ...failures.map((f) => f.episode_id)].sort()).toEqual(plannedIds(0, episodes));
      // Every failure names the fault; the held step's outcome is unknown, and it was never sent again.
      const causes = swarm ? ['ERR_SWARM_TASK', 'ERR_CONNECTION_CLOSED'] : ['ERR_CONTAINER_EXITED', 'ERR_CONNECTION_CLOSED'];
      expect(failures.map((f) => f.error.cause_code ?? f.error.code).filter((c) => !causes.includes(c ?? ''))).toEqual([]);
      expect(failures.find((f) => f.episode_id === held)).toMatchObject({ step_unknown: true });
      const trail = trailOf(out);
      expect(trailViolations(trail)).toEqual([]);
      await ledgers.stop();
      expect(replayed(ledgers.lines())).toEqual([]);
      expect(ledgers.lines().filter((l) => l === holdLine)).toHaveLength(1);
      // A server started after the kill served recorded steps (its hostname is its container's id).
      expect(trail.some((t) => !before.has(t.observation.server.split('/')[0]!))).toBe(true);
      expect(pidAlive(cli.pid)).toBe(false);
      await pollUntil(async () => (await containers()).length === 0 && (!swarm || (await servicesOwnedBy(docker, [cli.pid])).length === 0), 'every container and service of the CLI to be removed', { timeoutMs: 30_000 });
    } finally {
      await ledgers.stop();
    }
  }

  for (const cell of CELLS.filter((c) => c.driver === 'cli collect' && (c.source === 'containers' || c.source === 'swarm')).filter(inDefaultRun)) {
    (cell.source === 'swarm' ? itSwarm : it)(cellName(cell), () => cliCollectCell(cell.source === 'swarm'), 180_000);
  }
  if (!swarmAvailable && !process.env['CI']) console.warn('No swarm manager: skipping the swarm cells of the fault matrix (with CI=true they fail instead)');
  for (const cell of cellsOf('rollouts', 'swarm').filter(inDefaultRun)) {
    itSwarm(cellName(cell), async () => {
      const ledgerDir = tempDir();
      let next = 0;
      const session$ = defer(() =>
        Seq.fromSwarmService(image, {
          ...TIMEOUTS,
          transport: 'ws',
          cmd: ['/app/dist/cli/main.js', 'serve', '/matrix/seq-env.mjs', '--host', '0.0.0.0', '--port', '8000', '--max-sessions', '1'],
          env: { MATRIX_LEDGER_DIR: '/ledger', MATRIX_SERVER_ID: `w${next++}` },
          serviceOptions: {
            TaskTemplate: {
              ContainerSpec: {
                Mounts: [
                  { Type: 'bind', Source: repoPath('spec/faults/matrix/support'), Target: '/matrix', ReadOnly: true },
                  { Type: 'bind', Source: repoPath('node_modules/zod'), Target: '/node_modules/zod', ReadOnly: true },
                  { Type: 'bind', Source: ledgerDir, Target: '/ledger' },
                ],
              },
            },
          } as never,
          startTimeoutMs: 60_000,
        }),
      );
      const ledger = () => readdirSync(ledgerDir).flatMap((f) => readFileSync(join(ledgerDir, f), 'utf8').split('\n').filter(Boolean));
      const kills: Promise<unknown>[] = [];
      const plan = new FaultPlan({
        fault: cell.fault,
        target: () => ({
          id: 'w0',
          signal: () => void kills.push(containerOf('w0').then((id) => id && docker.getContainer(id).kill())),
        }),
        outageSteps: 4,
        delayMs: 0,
        ledger,
        recovers: false,
      });
      const run = await runRollouts(session$ as never, plan, { sessions: 2, episodes: 8, maxSteps: 4, tag: 'w', withinMs: 90_000 });
      await Promise.all(kills);
      expect(kills).toHaveLength(1);
      expectCell(cell, run, plan, ledger());
      // Nothing leaked: every service of this process removed.
      await awaitRuntimeTeardowns();
      await pollUntil(async () => (await servicesOwnedBy(docker, [process.pid])).length === 0, 'every service to be removed', { timeoutMs: 20_000 });
    }, 150_000);
  }
});
