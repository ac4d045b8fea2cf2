import { readFileSync } from 'node:fs';

/** The fields of `/proc/<pid>/stat` the reaper needs (Linux). */
export interface ProcStat {
  /** `R`, `S`, `D`, `T`, `Z` (zombie: exited, not yet waited for), `X`, ... */
  state: string;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Start time in clock ticks since boot: with the pid, it names one process for good (pids get recycled). */
  startTime: number;
}

/** `/proc/<pid>/stat`, or `undefined` when the process does not exist (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); starttime is field 22.
  const [state, ppid, pgid, startTime] = [fields[0], fields[1], fields[2], fields[19]];
  if (!state || !ppid || !pgid || !startTime) return undefined;
  return { state, ppid: Number(ppid), pgid: Number(pgid), startTime: Number(startTime) };
}
