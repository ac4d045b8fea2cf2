import { readdirSync } from 'node:fs';
import { emitRuntimeWarning } from '../report-teardown-error.js';
import { readProcStat } from '../reaper/proc-stat.js';
import { isProcessAlive } from '../reaper/process-identity.js';
import type { ReapKindResult } from '../reaper/reap-result.js';
import { listProcessRecords, removeProcessRecord, type ProcessRecord } from './process-registry.js';
import { signalGroup } from './stop-process-group.js';

/** Does any process still belong to group `pgid`? (Its number cannot be reused while one does.) */
function groupHasMembers(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  return entries.some((name) => /^\d+$/.test(name) && readProcStat(Number(name))?.pgid === pgid);
}

/**
 * Kills the recorded group if it is provably still the one we started: its leader has the
 * recorded start time, or the leader is gone but members of its group remain (the kernel does
 * not hand out a pid that is still some group's id). A leader pid that now names another
 * process (recycled) is never signalled. Returns whether anything was signalled.
 */
function stopRecordedGroup(record: ProcessRecord): boolean {
  const leader = readProcStat(record.process.pid);
  if (leader) {
    if (record.process.startTime === undefined || leader.startTime !== record.process.startTime) return false; // recycled pid
    signalGroup(record.pgid, 'SIGKILL');
    return true;
  }
  if (!groupHasMembers(record.pgid)) return false;
  signalGroup(record.pgid, 'SIGKILL');
  return true;
}

/**
 * Stops the server process groups whose owner is dead (gone, a zombie, or its pid recycled) and
 * forgets their records; with `all`, every recorded group. Linux only in effect: without /proc
 * no start time can prove a pid is still ours, so nothing is signalled (records of dead owners
 * are dropped).
 */
export function reapProcesses(options: { all?: boolean; stateDir?: string } = {}): ReapKindResult {
  const removed: string[] = [];
  let kept = 0;
  for (const { path, record } of listProcessRecords(options.stateDir)) {
    if (!options.all && isProcessAlive(record.owner)) {
      kept++;
      continue;
    }
    try {
      if (stopRecordedGroup(record)) removed.push(String(record.process.pid));
    } catch (error) {
      // EPERM: another user's process. Keep the record; a later sweep (or that user) may do better.
      emitRuntimeWarning(error, 'OPENENV_RX_REAP');
      kept++;
      continue;
    }
    removeProcessRecord(path);
  }
  return { removed, kept };
}

let swept = false;

/** `reapProcesses()` once per process, at the first `processEndpoint` start (it is synchronous and cheap). */
export function sweepOrphanProcessesOnce(stateDir: string | undefined, report: (error: unknown) => void): void {
  if (swept) return;
  swept = true;
  try {
    reapProcesses({ stateDir });
  } catch (error) {
    report(error);
  }
}
