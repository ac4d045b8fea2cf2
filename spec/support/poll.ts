/** How `pollUntil` polls. */
export interface PollOptions {
  /** Give up after this long. Default 10 000 ms. */
  timeoutMs?: number;
  /** Time between looks. Default 20 ms. */
  intervalMs?: number;
  /**
   * Look on every event-loop turn (`setImmediate`) instead of a timer: for tests that fake timers
   * and `Date` but leave `setImmediate` real. Bounded by `timeoutMs` counted in turns then.
   */
  everyTurn?: boolean;
}

/**
 * THE poll helper of the specs: resolves once `condition` holds, rejects naming `what` when it
 * did not hold within `timeoutMs` (bounded in count and time). For effects with no event to await
 * (a socket closing on the server, a container gone, a file written by a child process): where an
 * event or a gate exists, await that instead.
 *
 * @example
 * await pollUntil(() => server.openConnections() === 0, 'every session closed on the server', { timeoutMs: 5_000 });
 */
export async function pollUntil(condition: () => boolean | Promise<boolean>, what: string, options: PollOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 20, everyTurn = false } = options;
  const attempts = everyTurn ? timeoutMs : Math.max(1, Math.ceil(timeoutMs / intervalMs));
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return;
    await new Promise((resolve) => (everyTurn ? setImmediate(resolve) : setTimeout(resolve, intervalMs)));
  }
  if (await condition()) return;
  throw new Error(`Timed out after ${everyTurn ? `${timeoutMs} event-loop turns` : `${timeoutMs} ms`} waiting for ${what}`);
}
