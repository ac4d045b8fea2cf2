import { catchError, concat, EMPTY, ignoreElements, NEVER, switchMap, take, type Observable } from 'rxjs';
import { say } from './echo-env.js';
import { errorWithin, outcomeWithin, type Outcome } from './fault-guards.js';

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

/** A session that can reset and take the echo env's action (the fault specs' `Echo`). */
interface EchoLike<R> {
  reset(): Observable<R>;
  step(action: { message: string }): Observable<R>;
}

/**
 * The "this step fails, the session survives" run: on the one session `session$` emits, a reset,
 * step 1 (its error caught and returned as `stepError`), then step 2; `outcome` is how the run
 * ended (bounded by `withinMs`), with the reset's and step 2's results when it survived.
 */
export async function failedStepThenNext<R>(session$: Observable<EchoLike<R>>, withinMs: number): Promise<{ stepError: unknown; outcome: Outcome<R> }> {
  let stepError: unknown;
  const outcome = await outcomeWithin(
    session$.pipe(
      switchMap((env) => concat(env.reset(), env.step(say(1)).pipe(catchError((error: unknown) => ((stepError = error), EMPTY))), env.step(say(2)))),
      take(2),
    ),
    withinMs,
  );
  return { stepError, outcome };
}
