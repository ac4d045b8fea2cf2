import { onProcessExit } from './reaper/on-process-exit.js';

/**
 * Holds the exit hook for `key` (registering `onExit` on the first hold of that key) and returns
 * the release function (idempotent). See `refCountedExitHook`.
 */
export type HoldExitHook = (key: string, onExit: () => void) => () => void;

/**
 * One exit hook per key, shared by every holder of that key: the first hold registers `onExit`
 * with the process's exit hook (`onProcessExit`), later holds of the same key only count (their
 * `onExit` is not registered again: the first one already cleans up after all of them), and the
 * last release unregisters it, so a process holding nothing keeps no exit or signal listener.
 * The runtimes key it by what one cleanup child covers: a Docker engine, a swarm manager, a
 * cluster and namespace.
 *
 * @example
 * const holdEngine = refCountedExitHook();
 * const release = holdEngine('unix:///var/run/docker.sock', () => spawnRemover());
 * // ... the container is removed:
 * release();
 */
export function refCountedExitHook(register: (onExit: () => void) => () => void = onProcessExit): HoldExitHook {
  const hooks = new Map<string, { count: number; unregister: () => void }>();
  return (key, onExit) => {
    let hook = hooks.get(key);
    if (!hook) {
      hook = { count: 0, unregister: register(onExit) };
      hooks.set(key, hook);
    }
    hook.count++;
    const held = hook;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--held.count === 0) {
        held.unregister();
        hooks.delete(key);
      }
    };
  };
}
