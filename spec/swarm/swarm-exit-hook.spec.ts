import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killed, startRuntimeOwner } from '../fixtures/runtime-owner.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { servicesOwnedBy } from './support/swarm-test-support.js';
import { pollUntil } from '../support/poll.js';
import { swarmSuite } from '../support/engine-suite.js';

// A library user's program holding a swarm service (spec/fixtures/hold-runtimes.ts --swarm, no
// signal handler of its own) ends without unsubscribing: the shared exit hook's detached child
// removes the service, as it does for containers. Only the owner's own services are looked at
// (selected by its owner-pid label).

const engine = await swarmSuite();
const { docker } = engine;

const owners: number[] = []; // read by the suite's sweep
engine.describe('swarm services do not outlive their owner (real single-node swarm)', () => {
  let image: string;
  let stateDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    image = await ensureTestImage();
    stateDir = mkdtempSync(join(tmpdir(), 'openenv-rx-swarm-exit-'));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(children.map(killed));
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it.each([
    ['process.exit()', 'exit', (owner: ChildProcess) => owner.stdin!.write('go\n'), { code: 0, signal: null }],
    ['an uncaught error', 'throw', (owner: ChildProcess) => owner.stdin!.write('go\n'), { code: 1, signal: null }],
  ] as const)('owner ended by %s: its service is removed shortly after', async (_how, then, end, expected) => {
    const { child, held, exited } = await startRuntimeOwner(['--swarm', image, '--then', then], { OPENENV_RX_STATE_DIR: stateDir }, children);
    owners.push(held.owner);
    expect(held.serviceId).toEqual(expect.any(String));
    expect(await servicesOwnedBy(docker, [held.owner])).toEqual([held.serviceId]);
    end(child);
    expect(await exited).toEqual(expected);
    // The detached child removes it within about a second; bounded generously for a loaded machine.
    await pollUntil(async () => (await servicesOwnedBy(docker, [held.owner])).length === 0, '(await servicesOwnedBy(docker, [held.owner])).length === 0', { timeoutMs: 20_000, intervalMs: 50 });
  }, 120_000);
}, { owners: () => owners });
