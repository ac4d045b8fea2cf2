import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ProcessRegistryError } from '../../errors/runtime-errors.js';
import type { OwnerIdentity, ProcessIdentity } from '../reaper/process-identity.js';

/**
 * A server process group some openenv-rx process started, written when it is spawned and removed
 * once it is stopped. What is left in the directory belongs to owners that died without cleaning
 * up (SIGKILL, OOM): `reapOrphans()` reads it.
 */
export interface ProcessRecord {
  version: 1;
  owner: OwnerIdentity;
  /** The group leader (the spawned command); `pgid` equals its pid (spawned detached). */
  process: ProcessIdentity;
  pgid: number;
  command: string;
  createdAt: string;
}

/**
 * Where records live: `stateDir` (option), else `$OPENENV_RX_STATE_DIR`, else
 * `<tmpdir>/openenv-rx-<uid>`; records go in its `processes/` folder.
 */
export function processRegistryDir(stateDir?: string): string {
  return join(registryRoot(stateDir), 'processes');
}

function registryRoot(stateDir?: string): string {
  return stateDir ?? process.env['OPENENV_RX_STATE_DIR'] ?? join(os.tmpdir(), `openenv-rx-${process.getuid?.() ?? 'user'}`);
}

/** Not following symlinks when opening a record (absent off POSIX: 0 changes nothing). */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Throws `ProcessRegistryError` unless `path` is a real directory (not a symlink) owned by this
 * user with no group or other access. The temporary directory is shared: another user could
 * have made `openenv-rx-<uid>` first and filled it with records naming processes to kill.
 * Returns false when it does not exist. Off POSIX (no uid) only the symlink check applies.
 */
function checkPrivateDir(path: string): boolean {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (stat.isSymbolicLink()) throw new ProcessRegistryError(path, 'it is a symbolic link');
  if (!stat.isDirectory()) throw new ProcessRegistryError(path, 'it is not a directory');
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  if (stat.uid !== uid) throw new ProcessRegistryError(path, `it is owned by uid ${stat.uid}, not by this user (uid ${uid})`);
  if ((stat.mode & 0o077) !== 0) throw new ProcessRegistryError(path, `its mode ${(stat.mode & 0o777).toString(8)} lets group or others in (want 700)`);
  return true;
}

/** The checked records directory, created (0700) when missing; throws `ProcessRegistryError` when unsafe. */
function registryDirForWriting(stateDir?: string): string {
  const root = registryRoot(stateDir);
  if (!checkPrivateDir(root)) mkdirSync(root, { recursive: true, mode: 0o700 });
  checkPrivateDir(root);
  const dir = join(root, 'processes');
  if (!checkPrivateDir(dir)) mkdirSync(dir, { mode: 0o700 });
  checkPrivateDir(dir);
  return dir;
}

/**
 * Writes the record (synchronously: it must exist before anything can kill us). Returns its path.
 * Created exclusively (`O_EXCL`, never through a symlink) in a directory checked to be ours and
 * private; throws `ProcessRegistryError` otherwise.
 */
export function writeProcessRecord(record: ProcessRecord, stateDir?: string): string {
  const dir = registryDirForWriting(stateDir);
  const path = join(dir, `${record.process.pid}-${record.process.startTime ?? 'x'}.json`);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, JSON.stringify(record));
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Removes a record (synchronously, also usable from an exit hook); a missing one is fine. */
export function removeProcessRecord(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (another reaper), or the directory was removed.
  }
}

function isRecord(value: unknown): value is ProcessRecord {
  const r = value as Partial<ProcessRecord> | null;
  return (
    typeof r === 'object' && r !== null && r.version === 1 && typeof r.owner?.pid === 'number' && typeof r.process?.pid === 'number' && typeof r.pgid === 'number'
  );
}

/** A file's text, refusing symlinks (`O_NOFOLLOW`) and anything that is not a regular file. */
function readRegularFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW);
  try {
    if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Every readable record with its path; unreadable or foreign files are skipped. Throws
 * `ProcessRegistryError` when the directory is not ours and private (see `writeProcessRecord`).
 */
export function listProcessRecords(stateDir?: string): Array<{ path: string; record: ProcessRecord }> {
  const root = registryRoot(stateDir);
  if (!checkPrivateDir(root)) return [];
  const dir = join(root, 'processes');
  if (!checkPrivateDir(dir)) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    if (!name.endsWith('.json')) return [];
    const path = join(dir, name);
    try {
      const record: unknown = JSON.parse(readRegularFile(path));
      return isRecord(record) ? [{ path, record }] : [];
    } catch {
      return []; // half-written or removed meanwhile
    }
  });
}
