import type { ChildProcess } from 'node:child_process';

/** Sends `signal` to the whole process group led by `pid`; a group that is already gone is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function exitedWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * Stops a child spawned with `detached: true` (so it leads its own process group): SIGTERM to
 * the group, SIGKILL to the group after `graceMs` if the leader is still alive, and a final
 * SIGKILL for members that outlived their leader. Resolves once the leader has exited.
 */
export async function stopProcessGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return; // never spawned
  if (child.exitCode === null && child.signalCode === null) {
    signalGroup(pid, 'SIGTERM');
    if (!(await exitedWithin(child, graceMs))) {
      signalGroup(pid, 'SIGKILL');
      await exitedWithin(child, 5_000);
    }
  }
  signalGroup(pid, 'SIGKILL');
}
