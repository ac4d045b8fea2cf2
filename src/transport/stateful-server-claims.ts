import { StatefulServerBusyError } from '../errors/protocol-errors.js';
import type { ErrorContext } from '../errors/openenv-error.js';

/** Base URLs of the generation-A servers this process has a session on (one env each). */
const claimed = new Set<string>();

/**
 * Claims `url` (a base URL, as `serverBaseUrl` returns it) for the one session a generation-A
 * server can hold. Throws `StatefulServerBusyError` when another session of this process holds
 * it. Returns the release function (idempotent).
 */
export function claimStatefulServer(url: string, context: ErrorContext = {}): () => void {
  if (claimed.has(url)) throw new StatefulServerBusyError({ ...context, url });
  claimed.add(url);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    claimed.delete(url);
  };
}
