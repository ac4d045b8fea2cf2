/**
 * Everything a bench section started (server processes, containers, sockets) registers its stop
 * here, so that a failing section, an uncaught error or Ctrl-C still leaves nothing running.
 */
const tasks = new Set<() => Promise<void> | void>();

/** Registers `task`; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(task: () => Promise<void> | void): () => Promise<void> {
  let done: Promise<void> | undefined;
  const run = (): Promise<void> => {
    done ??= (async () => {
      tasks.delete(run);
      await task();
    })();
    return done;
  };
  tasks.add(run);
  return run;
}

/** Runs every registered task (newest first), reporting but not rethrowing failures. */
export async function cleanupAll(): Promise<void> {
  for (const task of [...tasks].reverse()) {
    try {
      await task();
    } catch (error) {
      process.stderr.write(`bench: cleanup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}
