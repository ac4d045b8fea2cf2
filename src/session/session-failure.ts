import { catchError, throwError, type Observable } from 'rxjs';
import { withContext } from '../internal/error-context.js';
import type { SessionState } from './session-call.js';

/**
 * The session's `failure$`: the transport's, with the session's context added. When a dead
 * connection fails the request in flight and `failure$` with one error, the session fails with the
 * request's error as delivered (its step, its request), not a second copy with other context:
 * whichever of the two reports first, both add the same context to the same error, and
 * `withContext` hands out one copy per error and context.
 *
 * @example
 * sessionFailure$(state).subscribe({ error: (e) => console.log(e.context.stepIndex) });
 */
export function sessionFailure$(state: SessionState): Observable<never> {
  return state.transport.failure$.pipe(
    catchError((error: unknown) =>
      throwError(() => {
        const failed = state.lastFailure;
        if (failed !== undefined && failed.raw === error) return failed.delivered;
        const call = state.onWire;
        return withContext(error, call !== undefined && !call.settled ? call.context : state.context(undefined, state.stepIndex, state.episodeId));
      }),
    ),
  );
}
