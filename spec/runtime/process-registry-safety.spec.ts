import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRegistryError } from '../../src/errors/index.js';
import { listProcessRecords, processRegistryDir, writeProcessRecord, type ProcessRecord } from '../../src/runtime/process/process-registry.js';
import { reapProcesses } from '../../src/runtime/process/reap-processes.js';
import { currentOwner, identityOf } from '../../src/runtime/reaper/process-identity.js';

/**
 * The process registry lives in a shared temporary directory, so anything in it may have been
 * planted. A record must never make `reapProcesses()` signal a process group it did not start:
 * planted records point here at a real, unrelated process group of the same user (a detached
 * `sleep`), and that group must survive. The registry directory itself must be ours and private.
 */
const children: ChildProcess[] = [];
let stateDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'openenv-rx-safety-'));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

/** A live process of this user; `detached` makes it lead its own process group. */
function sleeper(detached: boolean): ChildProcess {
  const child = spawn('sleep', ['600'], { detached, stdio: 'ignore' });
  children.push(child);
  return child;
}

/**
 * How the victim ends when we stop it ourselves with SIGTERM: `SIGKILL` means the reaper got to
 * it first (the kill lands before our SIGTERM, in order), `SIGTERM` that it was spared.
 */
function endOf(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.signalCode);
    child.once('exit', (_code, signal) => resolve(signal));
    child.kill('SIGTERM');
  });
}

const deadOwner = () => ({ pid: deadPid(), host: currentOwner().host });

function plant(record: Omit<ProcessRecord, 'version' | 'owner' | 'command' | 'createdAt'>): void {
  const dir = processRegistryDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const full: ProcessRecord = { version: 1, owner: deadOwner(), command: 'planted', createdAt: new Date().toISOString(), ...record };
  writeFileSync(join(dir, `planted-${record.process.pid}.json`), JSON.stringify(full), { mode: 0o600 });
}

describe('reapProcesses() never signals a group it cannot prove it started', () => {
  it('a record whose leader is gone, pointing at a live unrelated group: the group survives', async () => {
    const victim = sleeper(true);
    plant({ process: { pid: deadPid(), startTime: 1 }, pgid: victim.pid! });
    expect(reapProcesses({ stateDir })).toEqual({ removed: [], kept: 0 });
    expect(await endOf(victim)).toBe('SIGTERM');
  });

  it('a record whose "leader" is a live process of ours (right start time) but pgid names another group: that group survives', async () => {
    const victim = sleeper(true);
    const notALeader = sleeper(false); // in our own group, not leading one
    plant({ process: identityOf(notALeader.pid!)!, pgid: victim.pid! });
    expect(reapProcesses({ stateDir })).toEqual({ removed: [], kept: 0 });
    expect(await endOf(victim)).toBe('SIGTERM');
    expect(await endOf(notALeader)).toBe('SIGTERM');
  });

  it('a record naming a live process that does not lead its group (pgid = its pid, but it is not a leader): nothing is signalled', async () => {
    const notALeader = sleeper(false);
    plant({ process: identityOf(notALeader.pid!)!, pgid: notALeader.pid! });
    expect(reapProcesses({ stateDir })).toEqual({ removed: [], kept: 0 });
    expect(await endOf(notALeader)).toBe('SIGTERM');
  });

  it('control: a record of a real group leader with its start time is still reaped', async () => {
    const ours = sleeper(true);
    plant({ process: identityOf(ours.pid!)!, pgid: ours.pid! });
    expect(reapProcesses({ stateDir })).toEqual({ removed: [String(ours.pid)], kept: 0 });
    expect(await endOf(ours)).toBe('SIGKILL');
  });
});

describe('the registry directory must be ours and private', () => {
  const record = (): ProcessRecord => ({
    version: 1,
    owner: currentOwner(),
    process: identityOf(process.pid)!,
    pgid: process.pid,
    command: 'test',
    createdAt: new Date().toISOString(),
  });

  it.each([
    ['readable by others (0755)', () => chmodSync(stateDir, 0o755)],
    ['writable by everyone (0777)', () => chmodSync(stateDir, 0o777)],
    ['owned by another user', () => chownSync(stateDir, 65534, 65534)],
  ])('%s: reading and writing records refuse with ProcessRegistryError', (_name, spoil) => {
    if (process.getuid?.() !== 0 && _name === 'owned by another user') return; // chown needs root
    spoil();
    expect(() => reapProcesses({ stateDir })).toThrow(ProcessRegistryError);
    expect(() => writeProcessRecord(record(), stateDir)).toThrow(ProcessRegistryError);
    try {
      listProcessRecords(stateDir);
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_PROCESS_REGISTRY', path: stateDir, message: expect.stringContaining(stateDir) });
    }
  });

  it('a symlinked processes/ directory is refused (it could point anywhere)', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'openenv-rx-elsewhere-'));
    try {
      symlinkSync(elsewhere, join(stateDir, 'processes'));
      expect(() => writeProcessRecord(record(), stateDir)).toThrow(ProcessRegistryError);
      expect(() => reapProcesses({ stateDir })).toThrow(ProcessRegistryError);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a record path planted as a symlink is not followed: the write fails and the target is untouched', () => {
    const target = join(stateDir, 'target.txt');
    writeFileSync(target, 'precious', { mode: 0o600 });
    const dir = processRegistryDir(stateDir);
    mkdirSync(dir, { mode: 0o700 });
    const r = record();
    symlinkSync(target, join(dir, `${r.process.pid}-${r.process.startTime}.json`));
    expect(() => writeProcessRecord(r, stateDir)).toThrow();
    expect(readFileSync(target, 'utf8')).toBe('precious');
  });

  it('a fresh default-style directory is created private (0700) and accepted', () => {
    const fresh = join(stateDir, 'fresh');
    const path = writeProcessRecord(record(), fresh);
    expect(existsSync(path)).toBe(true);
    expect(listProcessRecords(fresh)).toHaveLength(1);
  });
});
