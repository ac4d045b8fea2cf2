import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import Docker from 'dockerode';
import { checkDockerReachable } from '../../src/runtime/docker/docker-client.js';
import { reapOrphans } from '../../src/runtime/docker/reaper.js';
import { swarmManagerInfo } from '../../src/runtime/swarm/swarm-manager.js';
import { cli } from '../cli/cli-support.js';
import { eventually } from '../fixtures/docker-test-support.js';
import { ensureTestImage, repoPath } from '../fixtures/test-image.js';
import { containersOfServices, describeWithSwarm, removeServicesOwnedBy, serviceExists, swarmReachable } from './support/swarm-test-support.js';

const docker = new Docker();
const available = await swarmReachable(docker);

/** Starts hold-swarm-endpoint.ts in a child process and resolves with the service it holds. */
function holdInChild(image: string, children: ChildProcess[]): Promise<{ child: ChildProcess; serviceId: string }> {
  const child = spawn(
    process.execPath,
    ['--import', repoPath('spec/fixtures/register-ts-loader.mjs'), repoPath('spec/swarm/support/hold-swarm-endpoint.ts'), image],
    { cwd: repoPath(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not report a service in 40 s: ${stderr}`)), 40_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, serviceId: (JSON.parse(line) as { serviceId: string }).serviceId });
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code}: ${stderr}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describeWithSwarm(available)('reaping swarm services of dead clients (real single-node swarm)', () => {
  let image: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await checkDockerReachable(docker);
    await swarmManagerInfo(docker); // CI=true without a swarm: SwarmUnavailableError here
    image = await ensureTestImage();
  }, 240_000);

  afterAll(async () => {
    await Promise.all(children.map(killed));
    if (available) await removeServicesOwnedBy(docker, children.map((c) => c.pid!).filter(Boolean));
  });

  it('reapOrphans() removes the service of a SIGKILLed owner (automatically on a manager) and keeps a live owner\'s', async () => {
    const dead = await holdInChild(image, children);
    const live = await holdInChild(image, children);
    await killed(dead.child);
    expect(await serviceExists(docker, dead.serviceId)).toBe(true); // nobody cleaned up

    const result = await reapOrphans(); // no `swarm` option: this engine is a manager
    expect(result.services?.removed).toContain(dead.serviceId);
    expect(result.services?.removed).not.toContain(live.serviceId);
    expect(result.services?.kept).toBeGreaterThanOrEqual(1);
    expect(await serviceExists(docker, dead.serviceId)).toBe(false);
    expect(await serviceExists(docker, live.serviceId)).toBe(true);
    // The task's container follows its service.
    expect(await eventually(async () => (await containersOfServices(docker, [dead.serviceId])).length === 0, 30_000)).toBe(true);
  }, 120_000);

  it('`openenv-rx reap --swarm` removes the service of a SIGKILLed owner', async () => {
    const dead = await holdInChild(image, children);
    await killed(dead.child);
    expect(await serviceExists(docker, dead.serviceId)).toBe(true);

    const json = await cli('reap', '--swarm', '--json');
    expect(json.code).toBe(0);
    const result = JSON.parse(json.out) as { services: { removed: string[]; kept: number } };
    expect(result.services.removed).toContain(dead.serviceId);
    expect(await serviceExists(docker, dead.serviceId)).toBe(false);

    const again = await holdInChild(image, children);
    await killed(again.child);
    const human = await cli('reap', '--swarm');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(new RegExp(`removed \\d+ swarm service\\(s\\): .*${again.serviceId.slice(0, 12)}`));
  }, 120_000);
});
