import Docker from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDockerReachable } from '../../../src/runtime/docker/docker-client.js';
import { dockerEndpoint } from '../../../src/runtime/docker/docker-endpoint.js';
import { awaitRuntimeTeardowns } from '../../../src/runtime/teardown-registry.js';
import { containersOwnedBy, describeWithDocker, dockerReachable, removeContainersOwnedBy } from '../../fixtures/docker-test-support.js';
import { ensureServerImage, repoPath } from '../../fixtures/test-image.js';
import { installFaultGuards } from '../support/fault-guards.js';
import { cellName, cellsOf } from './cells.js';
import { runStartedServersCell } from './support/library-cell.js';

const docker = new Docker();
const available = await dockerReachable(docker);

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

// The library drivers over containers the pool starts (`perServer(dockerEndpoint(...))`, 2 sessions
// each): the first container is killed under a step in flight.
describeWithDocker(available)('fault matrix: library drivers over containers', () => {
  installFaultGuards();
  let image: string;
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-matrix-c-'));
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
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  for (const driver of ['rollouts', 'vectorEnv', 'collect'] as const) {
    for (const cell of cellsOf(driver, 'containers')) {
      it(cellName(cell), async () => {
        const ledgerDir = tempDir();
        await runStartedServersCell(cell, containerServers(image, ledgerDir), { tag: `k${n++}`, ledgerDir, ...(driver === 'collect' ? { out: join(tempDir(), 'out') } : {}) });
      }, 120_000);
    }
  }
});
