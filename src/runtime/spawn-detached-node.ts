import { spawn } from 'node:child_process';

/**
 * Starts `node <args>` detached from this process: its own session (it outlives us, and a Ctrl-C
 * to our terminal's process group does not reach it), no stdio, not keeping our event loop
 * alive. What the exit guards use to clean up after a process that is exiting. Synchronous (an
 * exit hook may run nothing else) and never throws; NODE_OPTIONS is not passed on (an --inspect
 * or a loader meant for us must not break the child).
 *
 * @example
 * spawnDetachedNode(['-e', 'require("fs").writeFileSync("/tmp/done", "")'], { EXTRA: '1' });
 */
export function spawnDetachedNode(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): void {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env['NODE_OPTIONS'];
  try {
    const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore', env });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Exiting: nothing to report to, and the reaper covers what this child would have removed.
  }
}
