import Docker from 'dockerode';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defer } from 'rxjs';
import { checkDockerReachable } from '../../../src/runtime/docker/docker-client.js';
import { dockerEndpoint } from '../../../src/runtime/docker/docker-endpoint.js';
import { awaitRuntimeTeardowns } from '../../../src/runtime/teardown-registry.js';
import { containersOwnedBy, describeWithDocker, dockerReachable, removeContainersOwnedBy } from '../../fixtures/docker-test-support.js';
import { ensureServerImage, repoPath } from '../../fixtures/test-image.js';
import { containersOfServices, removeServicesOwnedBy, servicesOwnedBy, swarmReachable } from '../../swarm/support/swarm-test-support.js';
import { installFaultGuards } from '../support/fault-guards.js';
import { cellName, cellsOf, type Cell } from './cells.js';
import { FaultPlan } from './support/fault-plan.js';
import { expectCell, runStartedServersCell, TIMEOUTS } from './support/library-cell.js';
import { runRollouts, Seq } from './support/library-drivers.js';
import { pollUntil } from '../../support/poll.js';

const docker = new Docker();
const available = await dockerReachable(docker);
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
describeWithDocker(available)('fault matrix: drivers over containers and swarm services', () => {
  installFaultGuards();
  let image: string;
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-matrix-d-'));
    dirs.push(dir);
    return dir;
  };
  beforeAll(async () => {
    await checkDockerReachable(docker); // under CI=true without an engine: DockerUnavailableError here
    image = await ensureServerImage();
  }, 170_000);
  afterEach(() => awaitRuntimeTeardowns());
  afterAll(async () => {
    await awaitRuntimeTeardowns();
    if (available) await removeContainersOwnedBy(docker, [process.pid]);
    if (swarmAvailable) await removeServicesOwnedBy(docker, [process.pid]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
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
