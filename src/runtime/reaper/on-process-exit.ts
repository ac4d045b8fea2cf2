import { signals as fatalSignals } from 'signal-exit/signals';

const callbacks = new Set<() => void>();
let installed = false;

function runAll(): void {
  const pending = [...callbacks];
  callbacks.clear();
  uninstall();
  for (const callback of pending) {
    try {
      callback();
    } catch {
      // Exiting: a failed cleanup must not stop the others.
    }
  }
}

/** Listeners of `signal` installed by signal-exit (v3 or v4, any copy): they re-raise themselves. */
function signalExitListeners(): number {
  const holder = process as unknown as Record<string | symbol, { count?: unknown } | undefined>;
  const count = (value: { count?: unknown } | undefined): number => (typeof value?.count === 'number' ? value.count : 0);
  return count(holder[Symbol.for('signal-exit emitter')]) + count(holder['__signal_exit_emitter__']);
}

/**
 * Our signal listener. It runs first (see `keepFirst`), so it sees every listener the program
 * has, including a `process.once` one that removes itself when called. If the program handles
 * the signal, the program decides whether it ends: do nothing now (if it ends later, the `exit`
 * event runs the callbacks). If nobody does, Node would have died of it without us: clean up,
 * step aside and re-raise it, so the process ends exactly as it would have.
 */
function onSignal(signal: NodeJS.Signals): void {
  const others = process.listenerCount(signal) - 1;
  if (others > signalExitListeners()) return;
  runAll();
  // A signal-exit listener left in this emit re-raises the signal itself.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const listeners = new Map<NodeJS.Signals, () => void>();

/** A listener the program adds with `prependListener` would run before ours: move ours back in front. */
function keepFirst(event: string | symbol): void {
  const listener = listeners.get(event as NodeJS.Signals);
  if (!listener) return;
  queueMicrotask(() => {
    if (!installed || process.listeners(event as NodeJS.Signals)[0] === listener) return;
    process.removeListener(event as NodeJS.Signals, listener);
    process.prependListener(event as NodeJS.Signals, listener);
  });
}

function install(): void {
  installed = true;
  process.on('exit', runAll);
  for (const signal of fatalSignals) {
    const listener = (): void => onSignal(signal);
    try {
      process.prependListener(signal, listener);
      listeners.set(signal, listener);
    } catch {
      // A signal this platform cannot listen to.
    }
  }
  process.on('newListener', keepFirst);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', runAll);
  process.off('newListener', keepFirst);
  for (const [signal, listener] of listeners) process.off(signal, listener);
  listeners.clear();
}

/**
 * The one exit hook every runtime shares. `callback` runs synchronously when this process exits
 * in any way Node lets us observe: the event loop ran dry, `process.exit()`, an uncaught
 * exception or unhandled rejection, or a fatal signal (SIGINT, SIGTERM, SIGHUP, ...) that the
 * program does not handle itself. Not on SIGKILL, OOM kill or a power cut: the reaper covers
 * those. Only synchronous work can run here.
 *
 * The hook never decides that the process ends. A signal the program handles (`process.on` or
 * `process.once`, added before or after) is left to it: nothing is cleaned up, the process goes
 * on, and the callbacks run when it does exit. A signal nobody handles is re-raised after the
 * callbacks, so the process dies of it as it would have without this hook.
 *
 * The listeners are installed while at least one callback is registered. Returns the function
 * that unregisters `callback` (idempotent).
 *
 * @example
 * const release = onProcessExit(() => process.kill(-pgid, 'SIGKILL'));
 * // ... the group stopped normally:
 * release();
 */
export function onProcessExit(callback: () => void): () => void {
  const entry = (): void => callback();
  callbacks.add(entry);
  if (!installed) install();
  return () => {
    callbacks.delete(entry);
    if (callbacks.size === 0) uninstall();
  };
}
