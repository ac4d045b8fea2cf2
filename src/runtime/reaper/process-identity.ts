import os from 'node:os';
import { readProcStat } from './proc-stat.js';

/**
 * One process, for good: its pid plus its start time (clock ticks since boot, from /proc). A pid
 * alone may have been recycled for an unrelated process; the pair cannot be. `startTime` is
 * absent where /proc is not available.
 */
export interface ProcessIdentity {
  pid: number;
  startTime?: number;
}

/** The owner of what a runtime starts: this process, on this host. */
export interface OwnerIdentity extends ProcessIdentity {
  host: string;
}

/** The identity of `pid` now, or `undefined` if no such process exists (or /proc is absent). */
export function identityOf(pid: number): ProcessIdentity | undefined {
  const stat = readProcStat(pid);
  return stat ? { pid, startTime: stat.startTime } : undefined;
}

let self: OwnerIdentity | undefined;

/** This process as an owner (computed once). */
export function currentOwner(): OwnerIdentity {
  if (!self) {
    const startTime = identityOf(process.pid)?.startTime;
    self = { pid: process.pid, host: os.hostname(), ...(startTime !== undefined && { startTime }) };
  }
  return self;
}

/**
 * Is `pid` a running process? `kill(pid, 0)`: ESRCH means no such process, EPERM means one
 * exists (another user's). A zombie (exited, its parent has not waited for it yet) answers
 * `kill(pid, 0)` too, but is dead: /proc says so where it exists.
 */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return readProcStat(pid)?.state !== 'Z';
}

/**
 * Is this very process still running: alive, not a zombie, and (when both are known) started at
 * `startTime`, so a recycled pid does not count.
 */
export function isProcessAlive(id: ProcessIdentity): boolean {
  if (!isPidAlive(id.pid)) return false;
  if (id.startTime === undefined) return true;
  const now = readProcStat(id.pid);
  return now === undefined || now.startTime === id.startTime;
}
