/**
 * Polls `condition` every `intervalMs` until it holds; rejects after `timeoutMs` (bounded in time
 * and count). For server-side effects that have no event to await, such as a socket closing.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 3_000, intervalMs = 20): Promise<void> {
  const attempts = Math.ceil(timeoutMs / intervalMs);
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  if (!condition()) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}
