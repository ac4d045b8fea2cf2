import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times: USER_HZ, fixed at 100 in Linux's user-space ABI. */
const USER_HZ = 100;

/** CPU time (user + system, µs) and resident memory (KiB) of a process, from /proc (Linux); undefined elsewhere. */
export function procUsage(pid: number): { cpuUs: number; rssKiB: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) may hold spaces: count from the closing parenthesis. utime, stime are fields 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuUs: (ticks * 1_000_000) / USER_HZ, rssKiB: rss ? Number(rss[1]) : Number.NaN };
  } catch {
    return undefined;
  }
}
