import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
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
  const root = stateDir ?? process.env['OPENENV_RX_STATE_DIR'] ?? join(os.tmpdir(), `openenv-rx-${process.getuid?.() ?? 'user'}`);
  return join(root, 'processes');
}

/** Writes the record (synchronously: it must exist before anything can kill us). Returns its path. */
export function writeProcessRecord(record: ProcessRecord, stateDir?: string): string {
  const dir = processRegistryDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${record.process.pid}-${record.process.startTime ?? 'x'}.json`);
  writeFileSync(path, JSON.stringify(record), { mode: 0o600 });
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

/** Every readable record with its path; unreadable or foreign files are skipped. */
export function listProcessRecords(stateDir?: string): Array<{ path: string; record: ProcessRecord }> {
  const dir = processRegistryDir(stateDir);
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
      const record: unknown = JSON.parse(readFileSync(path, 'utf8'));
      return isRecord(record) ? [{ path, record }] : [];
    } catch {
      return []; // half-written or removed meanwhile
    }
  });
}
