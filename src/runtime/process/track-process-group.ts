import { emitRuntimeWarning } from '../report-teardown-error.js';
import { onProcessExit } from '../reaper/on-process-exit.js';
import { currentOwner, identityOf } from '../reaper/process-identity.js';
import { removeProcessRecord, writeProcessRecord } from './process-registry.js';
import { signalGroup } from './stop-process-group.js';

/**
 * Keeps a just-spawned server process group (leader `pid`, spawned detached) from outliving us:
 * records it in the process registry (for `reapOrphans()` after a SIGKILL of this process) and
 * registers an exit callback that SIGKILLs the group when this process exits any other way.
 * Returns `release`, to call once the group is gone: it unregisters both.
 */
export function trackProcessGroup(pid: number, command: string, stateDir?: string): () => void {
  let path: string | undefined;
  try {
    path = writeProcessRecord(
      {
        version: 1,
        owner: currentOwner(),
        process: identityOf(pid) ?? { pid },
        pgid: pid,
        command,
        createdAt: new Date().toISOString(),
      },
      stateDir,
    );
  } catch (error) {
    // Still guarded by the exit hook; only a SIGKILL of this process would leak it now.
    emitRuntimeWarning(error, 'OPENENV_RX_PROCESS_REGISTRY');
  }
  const forget = (): void => {
    if (path) removeProcessRecord(path);
  };
  const unregister = onProcessExit(() => {
    signalGroup(pid, 'SIGKILL');
    forget();
  });
  return () => {
    unregister();
    forget();
  };
}
