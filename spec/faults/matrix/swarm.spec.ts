import Docker from 'dockerode';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defer } from 'rxjs';
import { checkDockerReachable } from '../../../src/runtime/docker/docker-client.js';
import { awaitRuntimeTeardowns } from '../../../src/runtime/teardown-registry.js';
import { ensureServerImage, repoPath } from '../../fixtures/test-image.js';
import { containersOfServices, describeWithSwarm, removeServicesOwnedBy, servicesOwnedBy, swarmReachable } from '../../swarm/support/swarm-test-support.js';
import { installFaultGuards, waitUntil } from '../support/fault-guards.js';
import { cellName, cellsOf } from './cells.js';
import { FaultPlan } from './support/fault-plan.js';
import { expectCell, TIMEOUTS } from './support/library-cell.js';
import { runRollouts, Seq } from './support/library-drivers.js';

const docker = new Docker();
const available = await swarmReachable(docker);

/** The container of the service whose server id is `id` (its MATRIX_SERVER_ID). */
async function containerOf(id: string): Promise<string | undefined> {
  for (const serviceId of await servicesOwnedBy(docker, [process.pid])) {
    const spec = (await docker.getService(serviceId).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Env?: string[] } } } };
    if (spec.Spec.TaskTemplate.ContainerSpec.Env?.includes(`MATRIX_SERVER_ID=${id}`)) return (await containersOfServices(docker, [serviceId]))[0];
  }
  return undefined;
}

// rollouts over swarm services (one service of one task per session, our server image running the
// seq env with the real CLI): the first session's task container is killed under a step in flight.
describeWithSwarm(available)('fault matrix: rollouts over swarm services', () => {
  installFaultGuards();
  let image: string;
  let ledgerDir: string;
  beforeAll(async () => {
    await checkDockerReachable(docker);
    image = await ensureServerImage();
    ledgerDir = mkdtempSync(join(tmpdir(), 'openenv-rx-matrix-w-'));
  }, 170_000);
  afterEach(() => awaitRuntimeTeardowns());
  afterAll(async () => {
    await awaitRuntimeTeardowns();
    if (available) await removeServicesOwnedBy(docker, [process.pid]);
    rmSync(ledgerDir, { recursive: true, force: true });
  });

  for (const cell of cellsOf('rollouts', 'swarm')) {
    it(cellName(cell), async () => {
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
      await waitUntil(async () => (await servicesOwnedBy(docker, [process.pid])).length === 0, 'every service to be removed', 20_000);
    }, 150_000);
  }
});
