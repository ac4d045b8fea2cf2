import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processRegistryDir, writeProcessRecord } from '../../src/runtime/process/process-registry.js';
import { reapProcesses } from '../../src/runtime/process/reap-processes.js';
import { readProcStat } from '../../src/runtime/reaper/proc-stat.js';
import { currentOwner, identityOf } from '../../src/runtime/reaper/process-identity.js';
import { reapOrphans } from '../../src/runtime/reap-orphans.js';
import { containerExists } from '../fixtures/docker-test-support.js';
import { killed, startRuntimeOwner, startZombieableOwner } from '../fixtures/runtime-owner.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { pollUntil } from '../support/poll.js';
import { dockerSuite } from '../support/engine-suite.js';

// Real owners in child processes (spec/fixtures/hold-runtimes.ts, no signal handlers of their
// own), real servers, a private process registry per test.

/** Running: exists and is not a zombie. */
const isRunning = (pid: number): boolean => {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z';
};
const records = (stateDir: string): string[] => (existsSync(processRegistryDir(stateDir)) ? readdirSync(processRegistryDir(stateDir)) : []);
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

/**
 * SIGINT to an owner whose program handles SIGINT itself: resolves once it printed 'cleaned up' or
 * ended (bounded by `timeoutMs`), with what it printed and whether it ended.
 */
async function interruptSelfHandling(child: ChildProcess, exited: Promise<unknown>, timeoutMs: number): Promise<{ out: string; ended: boolean }> {
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let ended = false;
  void exited.then(() => (ended = true));
  child.kill('SIGINT');
  await pollUntil(() => out.includes('cleaned up') || ended, "'cleaned up' printed, or the owner ended", { timeoutMs, intervalMs: 50 });
  return { out, ended };
}

const children: ChildProcess[] = [];
const serverPids: number[] = [];
let stateDir: string;
const env = () => ({ OPENENV_RX_STATE_DIR: stateDir });

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'openenv-rx-exit-'));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});
afterAll(async () => {
  await Promise.all(children.map(killed));
  for (const pid of serverPids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone: what the tests expect
    }
  }
});

describe('server processes do not outlive their owner', () => {
  it.each([
    ['SIGINT', ['--then', 'hold'], (owner: ChildProcess) => owner.kill('SIGINT'), { code: null, signal: 'SIGINT' }],
    ['SIGTERM', ['--then', 'hold'], (owner: ChildProcess) => owner.kill('SIGTERM'), { code: null, signal: 'SIGTERM' }],
    ['an uncaught error', ['--then', 'throw'], (owner: ChildProcess) => owner.stdin!.write('go\n'), { code: 1, signal: null }],
    ['an unhandled rejection', ['--then', 'reject'], (owner: ChildProcess) => owner.stdin!.write('go\n'), { code: 1, signal: null }],
  ] as const)('owner ended by %s: the process group is killed and its record removed', async (_how, args, end, expected) => {
    const { child, held, exited } = await startRuntimeOwner(['--process', ...args], env(), children);
    serverPids.push(held.serverPid!);
    expect(isRunning(held.serverPid!)).toBe(true);
    expect(records(stateDir)).toHaveLength(1);
    end(child);
    // The owner still dies the way it would have (signal-exit re-raises the signal).
    expect(await exited).toEqual(expected);
    await pollUntil(() => !isRunning(held.serverPid!), '!isRunning(held.serverPid!)', { timeoutMs: 5_000, intervalMs: 50 });
    expect(records(stateDir)).toEqual([]);
  }, 60_000);

  it('a program that handles SIGINT itself with a handler prepended after the runtime started keeps running and cleans up itself', async () => {
    const { child, held, exited } = await startRuntimeOwner(['--process', '--then', 'handle-sigint-prepended'], env(), children);
    serverPids.push(held.serverPid!);
    const { out, ended } = await interruptSelfHandling(child, exited, 15_000);
    expect({ out, ended }).toEqual({ out: 'sigint handled\ncleaned up\n', ended: false });
    expect(isRunning(held.serverPid!)).toBe(false);
    expect(records(stateDir)).toEqual([]);
    child.stdin!.write('exit\n');
    expect(await exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('owner SIGKILLed: the server keeps running, recorded; reaping stops it', async () => {
    const { child, held } = await startRuntimeOwner(['--process', '--then', 'hold'], env(), children);
    serverPids.push(held.serverPid!);
    await killed(child);
    expect(isRunning(held.serverPid!)).toBe(true); // nothing could clean up
    expect(records(stateDir)).toHaveLength(1);
    expect(reapProcesses({ stateDir })).toEqual({ removed: [String(held.serverPid)], kept: 0 });
    await pollUntil(() => !isRunning(held.serverPid!), '!isRunning(held.serverPid!)', { timeoutMs: 5_000, intervalMs: 50 });
    expect(records(stateDir)).toEqual([]);
  }, 60_000);

  it('a live owner keeps its server; a zombie owner counts as dead', async () => {
    const { parent, held } = await startZombieableOwner(['--process', '--then', 'hold'], env(), children);
    serverPids.push(held.serverPid!);
    expect(reapProcesses({ stateDir })).toEqual({ removed: [], kept: 1 });
    expect(isRunning(held.serverPid!)).toBe(true);

    process.kill(held.owner, 'SIGKILL');
    await pollUntil(() => readProcStat(held.owner)?.state === 'Z', 'readProcStat(held.owner)?.state === \'Z\'', { timeoutMs: 5_000, intervalMs: 50 });
    expect(() => process.kill(held.owner, 0)).not.toThrow(); // kill(pid, 0) alone would call it alive
    expect(reapProcesses({ stateDir })).toEqual({ removed: [String(held.serverPid)], kept: 0 });
    await pollUntil(() => !isRunning(held.serverPid!), '!isRunning(held.serverPid!)', { timeoutMs: 5_000, intervalMs: 50 });
    await killed(parent);
  }, 60_000);
});

describe('the reaper never signals a recycled pid', () => {
  /** An unrelated live process leading its own group, as a recycled pid would be. */
  function bystander(): ChildProcess {
    const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    children.push(child);
    return child;
  }

  const recordFor = (pid: number, startTime: number) =>
    writeProcessRecord(
      { version: 1, owner: { pid: deadPid(), host: currentOwner().host }, process: { pid, startTime }, pgid: pid, command: 'node echo-server.mjs', createdAt: new Date().toISOString() },
      stateDir,
    );

  it('a dead owner whose server pid now names another process (other start time): record dropped, process untouched', async () => {
    const other = bystander();
    const actual = identityOf(other.pid!)!.startTime!;
    recordFor(other.pid!, actual - 1);
    expect(reapProcesses({ stateDir })).toEqual({ removed: [], kept: 0 });
    expect(records(stateDir)).toEqual([]);
    expect(isRunning(other.pid!)).toBe(true);
  });

  it('the same record with the matching start time is stopped (the check is what spared it)', async () => {
    const other = bystander();
    recordFor(other.pid!, identityOf(other.pid!)!.startTime!);
    expect(reapProcesses({ stateDir })).toEqual({ removed: [String(other.pid)], kept: 0 });
    await pollUntil(() => !isRunning(other.pid!), '!isRunning(other.pid!)', { timeoutMs: 5_000, intervalMs: 50 });
  });

  it('an owner whose pid was recycled (other start time) counts as dead', () => {
    const other = bystander();
    writeProcessRecord(
      {
        version: 1,
        owner: { pid: process.pid, startTime: currentOwner().startTime! - 1, host: currentOwner().host },
        process: { pid: other.pid!, startTime: identityOf(other.pid!)!.startTime! },
        pgid: other.pid!,
        command: 'sleep',
        createdAt: new Date().toISOString(),
      },
      stateDir,
    );
    expect(reapProcesses({ stateDir }).removed).toEqual([String(other.pid)]);
  });
});

const engine = await dockerSuite();
const { docker } = engine;

const owners: number[] = []; // read by the suite's sweep
engine.describe('containers do not outlive their owner (real engine)', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureTestImage();
  }, 120_000);

  it.each([
    ['SIGINT', ['--then', 'hold'], (owner: ChildProcess) => owner.kill('SIGINT')],
    ['an uncaught error', ['--then', 'throw'], (owner: ChildProcess) => owner.stdin!.write('go\n')],
  ] as const)('owner ended by %s: its container and its server process are removed', async (_how, args, end) => {
    const { child, held, exited } = await startRuntimeOwner(['--process', '--docker', image, ...args], env(), children);
    owners.push(held.owner);
    serverPids.push(held.serverPid!);
    expect(await containerExists(docker, held.containerId!)).toBe(true);
    end(child);
    await exited;
    await pollUntil(() => !isRunning(held.serverPid!), '!isRunning(held.serverPid!)', { timeoutMs: 5_000, intervalMs: 50 });
    // A detached child removes the container after the owner is gone.
    await pollUntil(async () => !(await containerExists(docker, held.containerId!)), '!(await containerExists(docker, held.containerId!))', { timeoutMs: 15_000, intervalMs: 50 });
  }, 90_000);

  it('a program that handles SIGINT itself (process.once, added first) keeps running; its own unsubscribe removes the container', async () => {
    const { child, held, exited } = await startRuntimeOwner(['--process', '--docker', image, '--then', 'handle-sigint'], env(), children);
    owners.push(held.owner);
    serverPids.push(held.serverPid!);
    // Bounded: the program's own cleanup (docker stop + remove) or its death, whichever comes first.
    const { out, ended } = await interruptSelfHandling(child, exited, 30_000);
    // The library neither killed the program nor cleaned up behind its back: the program did.
    expect({ out, ended }).toEqual({ out: 'sigint handled\ncleaned up\n', ended: false });
    expect(await containerExists(docker, held.containerId!)).toBe(false);
    expect(isRunning(held.serverPid!)).toBe(false);
    expect(records(stateDir)).toEqual([]);
    child.stdin!.write('exit\n');
    expect(await exited).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('owner calls process.exit(): its container and its server process are removed', async () => {
    const { child, held, exited } = await startRuntimeOwner(['--process', '--docker', image, '--then', 'exit'], env(), children);
    owners.push(held.owner);
    serverPids.push(held.serverPid!);
    child.stdin!.write('go\n');
    expect(await exited).toEqual({ code: 0, signal: null });
    await pollUntil(() => !isRunning(held.serverPid!), '!isRunning(held.serverPid!)', { timeoutMs: 5_000, intervalMs: 50 });
    await pollUntil(async () => !(await containerExists(docker, held.containerId!)), '!(await containerExists(docker, held.containerId!))', { timeoutMs: 15_000, intervalMs: 50 });
  }, 90_000);

  it('owner SIGKILLed: reapOrphans() stops its server process and removes its container', async () => {
    const { child, held } = await startRuntimeOwner(['--process', '--docker', image, '--then', 'hold'], env(), children);
    owners.push(held.owner);
    serverPids.push(held.serverPid!);
    await killed(child);
    expect(await containerExists(docker, held.containerId!)).toBe(true);
    expect(isRunning(held.serverPid!)).toBe(true);
    const result = await reapOrphans({ stateDir });
    expect(result.removed).toContain(held.containerId);
    expect(result.processes.removed).toEqual([String(held.serverPid)]);
    expect(await containerExists(docker, held.containerId!)).toBe(false);
    await pollUntil(() => !isRunning(held.serverPid!), '!isRunning(held.serverPid!)', { timeoutMs: 5_000, intervalMs: 50 });
  }, 90_000);

  it('a zombie owner counts as dead for its container too', async () => {
    const { parent, held } = await startZombieableOwner(['--docker', image, '--then', 'hold'], env(), children);
    owners.push(held.owner);
    expect((await reapOrphans({ stateDir })).removed).not.toContain(held.containerId);
    process.kill(held.owner, 'SIGKILL');
    await pollUntil(() => readProcStat(held.owner)?.state === 'Z', 'readProcStat(held.owner)?.state === \'Z\'', { timeoutMs: 5_000, intervalMs: 50 });
    expect((await reapOrphans({ stateDir })).removed).toContain(held.containerId);
    expect(await containerExists(docker, held.containerId!)).toBe(false);
    await killed(parent);
  }, 90_000);
}, { owners: () => owners });
