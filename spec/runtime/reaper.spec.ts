import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { isPidAlive } from '../../src/runtime/reaper/process-identity.js';
import { reapOrphans } from '../../src/runtime/reap-orphans.js';
import { containerExists } from '../fixtures/docker-test-support.js';
import { holdInChild as holdInChildProcess, killed } from '../fixtures/hold-in-child.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { pollUntil } from '../support/poll.js';
import { dockerSuite } from '../support/engine-suite.js';

const engine = await dockerSuite();
const { docker } = engine;

/** Starts hold-docker-endpoint.ts in a child process and resolves with the container it holds. */
async function holdInChild(image: string, children: ChildProcess[], extraArgs: string[] = []): Promise<{ child: ChildProcess; containerId: string }> {
  const { child, report } = await holdInChildProcess<{ containerId: string }>('spec/fixtures/hold-docker-endpoint.ts', [image, ...extraArgs], children, 30_000);
  return { child, containerId: report.containerId };
}

const children: ChildProcess[] = []; // read by the suite's sweep
engine.describe('reaping containers of dead clients (real engine)', () => {
  let image: string;

  beforeAll(async () => {
    image = await ensureTestImage();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(children.map(killed));
  });

  it('a SIGKILLed client leaks its container until the next process sweeps it; reapOrphans() removes the next one', async () => {
    // Client 1 holds a container and is SIGKILLed mid-episode: nothing can clean up.
    const first = await holdInChild(image, children, ['--no-reap']);
    await killed(first.child);
    expect(await containerExists(docker, first.containerId)).toBe(true);

    // Client 2's first start sweeps orphans of dead pids on this host.
    const second = await holdInChild(image, children);
    await pollUntil(async () => !(await containerExists(docker, first.containerId)), '!(await containerExists(docker, first.containerId))', { timeoutMs: 5_000, intervalMs: 50 });

    // Client 2 is SIGKILLed too; an explicit reapOrphans() (what `openenv-rx reap` runs) removes it.
    await killed(second.child);
    const { removed } = await reapOrphans();
    expect(removed).toContain(second.containerId);
    expect(await containerExists(docker, second.containerId)).toBe(false);
  }, 60_000);

  it('keeps the containers of live owners; a client stopped with SIGTERM removes its own', async () => {
    const live = await holdInChild(image, children, ['--no-reap']);
    // (`all: true` is covered on the fake engine: here it would also remove other suites' containers.)
    const result = await reapOrphans();
    expect(result.removed).not.toContain(live.containerId);
    expect(result.kept).toBeGreaterThanOrEqual(1);
    expect(await containerExists(docker, live.containerId)).toBe(true);

    const exited = new Promise<number | null>((resolve) => live.child.once('exit', resolve));
    live.child.kill('SIGTERM'); // the child unsubscribes, awaits awaitRuntimeTeardowns(), exits 0
    expect(await exited).toBe(0);
    expect(await containerExists(docker, live.containerId)).toBe(false);
  }, 60_000);
}, { owners: () => [process.pid, ...children.map((c) => c.pid!).filter(Boolean)] });

describe('reapOrphans decisions (fake engine)', () => {
  const deadPid = 2 ** 22 + 12_345; // above the default pid_max: never a live process
  let stateDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'openenv-rx-reap-'));
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  function fakeDocker(containers: Array<{ Id: string; Labels: Record<string, string> }>) {
    const removed: string[] = [];
    const docker = {
      listContainers: async (options: { filters: { label: string[] } }) => {
        expect(options.filters.label).toEqual(['openenv-rx=1']);
        return containers;
      },
      getContainer: (id: string) => ({
        remove: async (options: { force: boolean; v: boolean }) => {
          expect(options).toEqual({ force: true, v: true });
          removed.push(id);
        },
      }),
    } as unknown as Docker;
    return { docker, removed };
  }

  const labels = (pid: number, host = os.hostname()) => ({ 'openenv-rx': '1', 'openenv-rx.owner-pid': String(pid), 'openenv-rx.owner-host': host });

  it('removes only dead owners on this host', async () => {
    const { docker, removed } = fakeDocker([
      { Id: 'dead-here', Labels: labels(deadPid) },
      { Id: 'alive-here', Labels: labels(process.pid) },
      { Id: 'dead-elsewhere', Labels: labels(deadPid, 'another-host') },
      { Id: 'no-owner', Labels: { 'openenv-rx': '1' } },
    ]);
    expect(await reapOrphans({ docker, stateDir })).toEqual({ removed: ['dead-here'], kept: 3, processes: { removed: [], kept: 0 } });
    expect(removed).toEqual(['dead-here']);
  });

  it('all: true removes every labelled container', async () => {
    const { docker } = fakeDocker([
      { Id: 'a', Labels: labels(process.pid) },
      { Id: 'b', Labels: labels(deadPid, 'another-host') },
    ]);
    expect(await reapOrphans({ docker, all: true, stateDir })).toEqual({ removed: ['a', 'b'], kept: 0, processes: { removed: [], kept: 0 } });
  });

  it('isPidAlive: ESRCH is gone, EPERM (pid 1 from a non-root user) or success is alive', () => {
    expect(isPidAlive(process.pid)).toBe(true);
    expect(isPidAlive(1)).toBe(true);
    expect(isPidAlive(deadPid)).toBe(false);
    expect(isPidAlive(Number.NaN)).toBe(false);
  });
});
