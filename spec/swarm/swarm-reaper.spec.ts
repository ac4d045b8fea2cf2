import type { ChildProcess } from 'node:child_process';
import { reapOrphans } from '../../src/runtime/reap-orphans.js';
import { cli } from '../cli/cli-support.js';
import { holdInChild as holdInChildProcess, killed } from '../fixtures/hold-in-child.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { containersOfServices, serviceExists } from './support/swarm-test-support.js';
import { pollUntil } from '../support/poll.js';
import { swarmSuite } from '../support/engine-suite.js';

const engine = await swarmSuite();
const { docker } = engine;

/** Starts hold-swarm-endpoint.ts in a child process and resolves with the service it holds. */
async function holdInChild(image: string, children: ChildProcess[]): Promise<{ child: ChildProcess; serviceId: string }> {
  const { child, report } = await holdInChildProcess<{ serviceId: string }>('spec/swarm/support/hold-swarm-endpoint.ts', [image], children);
  return { child, serviceId: report.serviceId };
}

const children: ChildProcess[] = []; // read by the suite's sweep
engine.describe('reaping swarm services of dead clients (real single-node swarm)', () => {
  let image: string;

  beforeAll(async () => {
    image = await ensureTestImage();
  }, 240_000);

  afterAll(async () => {
    await Promise.all(children.map(killed));
  });

  it('reapOrphans() removes the service of a SIGKILLed owner (automatically on a manager) and keeps a live owner\'s', async () => {
    // Both services start at once: a swarm task takes seconds to run, and nothing here needs one before the other.
    const [dead, live] = await Promise.all([holdInChild(image, children), holdInChild(image, children)]);
    await killed(dead.child);
    expect(await serviceExists(docker, dead.serviceId)).toBe(true); // nobody cleaned up

    const result = await reapOrphans(); // no `swarm` option: this engine is a manager
    expect(result.services?.removed).toContain(dead.serviceId);
    expect(result.services?.removed).not.toContain(live.serviceId);
    expect(result.services?.kept).toBeGreaterThanOrEqual(1);
    expect(await serviceExists(docker, dead.serviceId)).toBe(false);
    expect(await serviceExists(docker, live.serviceId)).toBe(true);
    // A process holding an endpoint (and nothing else) stays alive while subscribed.
    expect([live.child.exitCode, live.child.signalCode]).toEqual([null, null]);
    // The task's container follows its service.
    await pollUntil(async () => (await containersOfServices(docker, [dead.serviceId])).length === 0, '(await containersOfServices(docker, [dead.serviceId])).length === 0', { timeoutMs: 30_000, intervalMs: 50 });
  }, 120_000);

  it('`openenv-rx reap --swarm` removes the service of a SIGKILLed owner', async () => {
    // `again` lives (and is kept by the first reap) until it is killed before the second.
    const [dead, again] = await Promise.all([holdInChild(image, children), holdInChild(image, children)]);
    await killed(dead.child);
    expect(await serviceExists(docker, dead.serviceId)).toBe(true);

    const json = await cli('reap', '--swarm', '--json');
    expect(json.code).toBe(0);
    const result = JSON.parse(json.out) as { services: { removed: string[]; kept: number } };
    expect(result.services.removed).toContain(dead.serviceId);
    expect(await serviceExists(docker, dead.serviceId)).toBe(false);

    await killed(again.child);
    const human = await cli('reap', '--swarm');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(new RegExp(`removed \\d+ swarm service\\(s\\): .*${again.serviceId.slice(0, 12)}`));
  }, 120_000);
}, { owners: () => children.map((c) => c.pid!).filter(Boolean) });
