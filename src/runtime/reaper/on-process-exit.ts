import { onExit } from 'signal-exit';

const callbacks = new Set<() => void>();
let unload: (() => void) | undefined;

function runAll(): void {
  unload = undefined; // signal-exit unloads itself after a fatal signal or an exit
  const pending = [...callbacks];
  callbacks.clear();
  for (const callback of pending) {
    try {
      callback();
    } catch {
      // Exiting: a failed cleanup must not stop the others.
    }
  }
}

/**
 * The one exit hook every runtime shares. `callback` runs synchronously when this process exits
 * in any way Node lets us observe: the event loop ran dry, `process.exit()`, an uncaught
 * exception or unhandled rejection, or a fatal signal (SIGINT, SIGTERM, SIGHUP, ...; signal-exit
 * re-raises it afterwards unless the program handles that signal itself). Not on SIGKILL, OOM
 * kill or a power cut: the reaper covers those. Only synchronous work can run here.
 *
 * The signal handlers are installed while at least one callback is registered. Returns the
 * function that unregisters `callback` (idempotent).
 *
 * @example
 * const release = onProcessExit(() => process.kill(-pgid, 'SIGKILL'));
 * // ... the group stopped normally:
 * release();
 */
export function onProcessExit(callback: () => void): () => void {
  const entry = (): void => callback();
  callbacks.add(entry);
  unload ??= onExit(runAll);
  return () => {
    callbacks.delete(entry);
    if (callbacks.size === 0 && unload) {
      unload();
      unload = undefined;
    }
  };
}

