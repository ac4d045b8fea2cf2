import { catchError, ignoreElements, NEVER, switchMap, type Observable } from 'rxjs';
import { errorWithin } from './fault-guards.js';

/**
 * Runs `work` on the one session `session$` emits and waits (bounded) for the SESSION to fail.
 * Returns both errors: the one the request saw (undefined if it completed) and the session's.
 * Throws if the session is still alive after `withinMs`.
 */
export async function sessionFailure<E, T>(
  session$: Observable<E>,
  work: (env: E) => Observable<T>,
  withinMs: number,
): Promise<{ requestError: unknown; sessionError: unknown }> {
  let requestError: unknown;
  const sessionError = await errorWithin(
    session$.pipe(
      switchMap((env) =>
        work(env).pipe(
          ignoreElements(),
          catchError((error: unknown) => {
            requestError = error;
            return NEVER; // keep listening: the session itself must fail too
          }),
        ),
      ),
    ),
    withinMs,
  );
  return { requestError, sessionError };
}
