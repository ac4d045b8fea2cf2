import { emitRuntimeWarning } from './report-teardown-error.js';

/**
 * RxJS teardown is synchronous, so stopping a container or a process starts a promise that the
 * unsubscriber cannot await. Every runtime registers that promise here so that tests and the CLI
 * can wait until everything they started is really gone.
 */
const pending = new Set<Promise<void>>();

/**
 * Registers a teardown (or sweep) promise and returns one that never rejects: runtimes catch and
 * report their own errors, and anything that still escapes becomes a process warning.
 */
export function trackTeardown(promise: Promise<void>): Promise<void> {
  const settled = promise.then(
    () => void pending.delete(settled),
    (error: unknown) => {
      pending.delete(settled);
      emitRuntimeWarning(error, 'OPENENV_RX_TEARDOWN');
    },
  );
  pending.add(settled);
  return settled;
}

/**
 * Resolves once every container removal / process kill started so far has finished.
 *
 * @example
 * const sub = dockerEndpoint('echo-env:latest').subscribe();
 * sub.unsubscribe();
 * await awaitRuntimeTeardowns(); // the container is removed now
 */
export async function awaitRuntimeTeardowns(): Promise<void> {
  // A teardown can register another one (a sweep started by a late start): settle a few rounds.
  for (let round = 0; round < 5 && pending.size > 0; round++) {
    await Promise.all([...pending]);
  }
}
