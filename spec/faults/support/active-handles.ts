import { realProcess } from './fault-guards.js';

/** Active handles of the real process by type (`TCPSocketWrap`, `TCPServerWrap`, `Timeout`, ...). */
export function activeHandles(): Record<string, number> {
  // process.stdout/stderr/stdin are created on first access (a PipeWrap in a jest worker): a
  // warning printed mid-test, or jest's ESM loader reading every export of `node:process` the
  // first time a module imported mid-test (a lazily loaded runtime) imports it, would otherwise
  // count as a handle the code under test leaked.
  void realProcess.stdout;
  void realProcess.stderr;
  void realProcess.stdin;
  const counts: Record<string, number> = {};
  for (const type of realProcess.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Handle types whose count grew since `before`, with both counts (empty: nothing leaked). */
export function grownHandles(before: Record<string, number>): string[] {
  return Object.entries(activeHandles())
    .filter(([type, count]) => count > (before[type] ?? 0))
    .map(([type, count]) => `${type}: ${before[type] ?? 0} → ${count}`);
}

/**
 * The child processes this process still holds (pid, command line, exit state): what a grown
 * `ProcessWrap` count is, named in a leak check's failure so the next reader knows which one.
 */
export function liveChildren(): string[] {
  const handles = (realProcess as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles
    .filter((h): h is { pid?: number; spawnargs?: string[]; exitCode: number | null; signalCode: string | null } => typeof h === 'object' && h !== null && 'spawnargs' in h)
    .map((c) => `pid ${c.pid} (${(c.spawnargs ?? []).join(' ').slice(0, 160)}; exit ${c.exitCode ?? c.signalCode ?? 'not yet'})`);
}
