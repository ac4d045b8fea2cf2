import { realProcess } from './fault-guards.js';

/** Active handles of the real process by type (`TCPSocketWrap`, `TCPServerWrap`, `Timeout`, ...). */
export function activeHandles(): Record<string, number> {
  // process.stdout/stderr are created on first access (a PipeWrap in a jest worker): a warning
  // printed mid-test would otherwise count as a handle the code under test leaked.
  void realProcess.stdout;
  void realProcess.stderr;
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
