import type { ErrorCode } from '../errors/error-codes.js';
import type { ErrorContext } from '../errors/openenv-error.js';
import { EpisodeFailedError } from '../errors/fleet-errors.js';
import { hasCode } from './error-context.js';

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

/** Infrastructure failures: the session is lost (socket, server, container, task), not the request refused. */
const SESSION_FAULTS: readonly ErrorCode[] = [
  'ERR_CONNECTION',
  'ERR_CONNECTION_CLOSED',
  'ERR_TIMEOUT',
  'ERR_PROTOCOL',
  'ERR_CONTAINER_EXITED',
  'ERR_PROCESS_EXITED',
  'ERR_DOCKER',
  'ERR_SWARM_TASK',
  // A pod that ended under the session: deleted, evicted, crashed, OOM-killed (start-time kinds too:
  // rollouts and pools check `permanent` on their own).
  'ERR_K8S_POD',
  'ERR_K8S_POD_DELETED',
  'ERR_K8S_EVICTED',
  'ERR_K8S_CRASH',
  'ERR_K8S_OOM_KILLED',
  'ERR_K8S_IMAGE_PULL',
  'ERR_K8S_UNSCHEDULABLE',
];

/**
 * True when `error` means the session is lost (its socket dropped, its server, container, task or pod
 * died, a reply or keepalive timed out, garbage or a fatal error frame arrived): a long run drops
 * that session, reports the episode in flight failed, and continues on a replacement. False for
 * what only the caller can fix (a refused action or frame, an env that raised, a policy error, a
 * usage error) and for a capacity refusal, which runs handle on its own terms.
 *
 * @example
 * isSessionFault(new ConnectionClosedError('gone', 1006, '')); // true
 * isSessionFault(new ServerError('EXECUTION_ERROR', 'env raised', {})); // false
 */
export function isSessionFault(error: unknown): boolean {
  if (hasCode(error, 'ERR_SERVER')) {
    // FACTORY_ERROR and SESSION_ERROR close the socket; the others answer a request the server refused.
    const serverCode = (error as { serverCode?: unknown }).serverCode;
    return serverCode === 'FACTORY_ERROR' || serverCode === 'SESSION_ERROR';
  }
  // HTTP: a server-side failure or overload, not a refused request (4xx are the caller's to fix).
  if (hasCode(error, 'ERR_HTTP_STATUS')) {
    const status = (error as { status?: unknown }).status;
    return typeof status === 'number' && (status >= 500 || status === 429);
  }
  // The Kubernetes API: unreachable or overloaded is transient; a refusal (403 RBAC, 404 namespace,
  // 422 invalid spec) is the caller's to fix.
  if (hasCode(error, 'ERR_K8S_API')) return (error as { transient?: unknown }).transient === true;
  return SESSION_FAULTS.some((code) => hasCode(error, code));
}
