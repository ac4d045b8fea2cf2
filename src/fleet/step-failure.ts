import type { ErrorCode } from '../errors/error-codes.js';
import type { ErrorContext } from '../errors/openenv-error.js';
import { EpisodeFailedError } from '../errors/fleet-errors.js';
import { hasCode } from '../internal/error-context.js';

/** Errors that prove the request never changed the env: answered with an error frame, or never sent. */
const KNOWN_OUTCOME: readonly ErrorCode[] = ['ERR_SERVER', 'ERR_CAPACITY', 'ERR_ACTION_INVALID', 'ERR_SESSION_STATE'];

/** An error frame that keeps the socket open (the session stays usable). */
const SESSION_KEEPS: readonly ErrorCode[] = ['ERR_SERVER', 'ERR_ACTION_INVALID'];

/**
 * True when a request reached the wire and no usable answer came back (socket dropped, server
 * died, reply timed out, garbage): whether the env applied it is unknown.
 */
export function outcomeUnknown(error: unknown): boolean {
  return !KNOWN_OUTCOME.some((code) => hasCode(error, code));
}

/** True when the session must not be used again after `error` (it may be out of sync or dead). */
export function sessionSpoiled(error: unknown): boolean {
  if (!SESSION_KEEPS.some((code) => hasCode(error, code))) return true;
  // A fatal error frame (FACTORY_ERROR, SESSION_ERROR) closes the socket even though it answered.
  const serverCode = (error as { serverCode?: unknown }).serverCode;
  return serverCode === 'FACTORY_ERROR' || serverCode === 'SESSION_ERROR';
}

/** The typed failure of one sub-env's episode. */
export function episodeFailure(error: unknown, context: ErrorContext): EpisodeFailedError {
  return new EpisodeFailedError(outcomeUnknown(error), error, context);
}
