import { emitRuntimeWarning } from '../report-teardown-error.js';
import { readProcStat } from '../reaper/proc-stat.js';
import { isProcessAlive } from '../reaper/process-identity.js';
import type { ReapKindResult } from '../reaper/reap-result.js';
import { listProcessRecords, removeProcessRecord, type ProcessRecord } from './process-registry.js';
import { signalGroup } from './stop-process-group.js';

/**
 * Kills the recorded group only if it is provably still the one we started: its leader is alive
 * with the recorded start time, and it still leads its own group, whose id is the one recorded
 * (a group's id is its leader's pid). A group whose leader is gone is never signalled: nothing
 * then proves the group is ours (a planted record could name any group of this user), and a
 * leaderless group's members are left to themselves. Returns whether anything was signalled.
 */
function stopRecordedGroup(record: ProcessRecord): boolean {
  const leaderPid = record.process.pid;
  if (record.pgid !== leaderPid || record.process.startTime === undefined) return false;
  const leader = readProcStat(leaderPid);
  if (!leader || leader.startTime !== record.process.startTime || leader.pgid !== leaderPid) return false;
  signalGroup(leaderPid, 'SIGKILL');
  return true;
}

/**
 * Stops the server process groups whose owner is dead (gone, a zombie, or its pid recycled) and
 * forgets their records; with `all`, every recorded group. Throws `ProcessRegistryError` when the
 * registry directory is not this user's and private. Linux only in effect: without /proc
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
