import { randomUUID } from 'node:crypto';
import {
  asyncScheduler,
  catchError,
  concat,
  concatMap,
  defer,
  EMPTY,
  expand,
  from,
  isObservable,
  map,
  of,
  queueScheduler,
  take,
  throwError,
  throwIfEmpty,
  type Observable,
} from 'rxjs';
import type { ErrorContext } from '../errors/openenv-error.js';
import { ProtocolError } from '../errors/protocol-errors.js';
import { PolicyError } from '../errors/usage-errors.js';
import { assertFunction, assertInteger } from '../internal/assert-option.js';
import { messageOf, withContext } from '../internal/error-context.js';
import { isPromiseLike } from '../internal/is-promise-like.js';
import type { EnvSession, EpisodeOptions, EpisodeStep, Policy, StepResult } from './types.js';

/** Where `latencyMs` and `timestamp` come from. */
export interface Clock {
  now(): number;
}

/** `EpisodeOptions` plus what `episodes()` and tests set. */
export interface RunEpisodeOptions extends EpisodeOptions {
  /** Written on every step; `episodes()` sets it. Default 0. */
  episodeIndex?: number;
  /**
   * Default `asyncScheduler`: `Date.now()` normally, virtual time inside `TestScheduler.run`,
   * so marble tests see deterministic `timestamp`/`latencyMs` without passing anything.
   */
  clock?: Clock;
}

/**
 * What the agent loop needs: `reset` and `step` (a fake in tests, an `EnvSession` in real use),
 * and `checkEpisodes` when the session has one (run before the first reset).
 */
export type EpisodeSession<A, O> = Pick<EnvSession<A, O, unknown>, 'reset' | 'step'> & Partial<Pick<EnvSession<A, O, unknown>, 'checkEpisodes'>>;

/**
 * The agent loop: reset, then `policy → step` until the env answers `done`, or until `maxSteps`
 * steps were taken (that last result then carries `truncated: true`; an env `done` at the same
 * step wins and leaves `truncated` false). Emits the reset result first (`kind: 'reset'`, index 0),
 * then one `EpisodeStep` per step, and completes right after the last one.
 *
 * - Cold: nothing is sent until subscribed; each subscription runs a new episode.
 * - Sequential: the policy is called after a result arrived, the step is sent after the policy
 *   answered; steps never overlap.
 * - The policy may return `A`, `Promise<A>` or `Observable<A>` (first value taken). A throw, a
 *   rejection, an erroring or empty Observable becomes a `PolicyError` (`cause` kept, context
 *   `stepIndex`/`episodeId`/`episodeIndex`).
 * - Unsubscribing cancels the pending policy call (its Observable is unsubscribed, a Promise's
 *   late answer is ignored) and the pending request.
 * - Without `episodeId` a uuid is generated and sent with the reset, so every trajectory is traceable.
 * - Errors from the session get `episodeId`, `episodeIndex` and `stepIndex` added to their context.
 * - A session with `checkEpisodes` (every `EnvSession`) is asked first: over stateless HTTP the
 *   episode errors with `StatelessHttpError` before any reset is sent.
 *
 * @example
 * runEpisode(session, (obs) => ({ action: obs.x < 4 ? 'RIGHT' : 'DOWN' }), { seed: 7, maxSteps: 50 })
 *   .subscribe((s) => console.log(s.index, s.reward, s.done));
 */
export function runEpisode<A, O>(
  session: EpisodeSession<A, O>,
  policy: Policy<A, O>,
  options: RunEpisodeOptions = {},
): Observable<EpisodeStep<A, O>> {
  return defer(() => {
    const { seed, maxSteps, resetOptions, episodeIndex = 0, clock = asyncScheduler } = options;
    assertFunction('policy', policy);
    assertInteger('seed', seed, 0);
    assertInteger('maxSteps', maxSteps, 0);
    assertInteger('episodeIndex', episodeIndex, 0);
    const episodeId = options.episodeId ?? randomUUID();
    const where = (stepIndex: number): ErrorContext => ({ episodeId, episodeIndex, stepIndex });

    /** Sends one request (lazily) and turns its single result into an `EpisodeStep`. */
    const request = (index: number, send: () => Observable<StepResult<O>>, action?: { value: A }) =>
      defer(() => {
        const kind = action ? 'step' : 'reset';
        const sentAt = clock.now();
        return send().pipe(
          take(1),
          throwIfEmpty(() => new ProtocolError(`The ${kind} request completed without a result`, undefined)),
          map((result): EpisodeStep<A, O> => {
            const timestamp = clock.now();
            const truncated = result.truncated || (!result.done && maxSteps !== undefined && index >= maxSteps);
            return {
              observation: result.observation,
              reward: result.reward,
              done: result.done,
              truncated,
              kind,
              index,
              ...(action && { action: action.value }),
              episodeId,
              episodeIndex,
              ...(seed !== undefined && { seed }),
              latencyMs: timestamp - sentAt,
              timestamp,
            };
          }),
          catchError((error: unknown) => throwError(() => withContext(error, { ...where(index), request: kind }))),
        );
      });

    const reset$ = request(0, () =>
      session.reset({ ...resetOptions, ...(seed !== undefined && { seed }), episodeId }),
    );
    const next = (last: EpisodeStep<A, O>): Observable<EpisodeStep<A, O>> => {
      if (last.done || last.truncated) return EMPTY;
      const index = last.index + 1;
      return decide(policy, last, where(index)).pipe(
        concatMap((action) => request(index, () => session.step(action), { value: action })),
      );
    };
    // expand with concurrency 1: the next decision starts only once the previous request
    // completed, so requests never overlap. queueScheduler trampolines the next step when a
    // session answers synchronously (a fake), so a long episode does not grow the stack.
    const episode$ = reset$.pipe(expand(next, 1, queueScheduler));
    // Refuses an episode the server cannot hold (stateless HTTP) before anything is reset.
    const check$ = session.checkEpisodes?.() ?? EMPTY;
    if (check$ === EMPTY) return episode$;
    return concat(check$.pipe(catchError((error: unknown) => throwError(() => withContext(error, where(0))))), episode$);
  });
}

/** Calls the policy lazily and normalises its answer to an Observable of exactly one action. */
function decide<A, O>(policy: Policy<A, O>, last: EpisodeStep<A, O>, where: ErrorContext): Observable<A> {
  const context: ErrorContext = { ...where, request: 'policy' };
  const wrap = (how: string) => (cause: unknown) =>
    throwError(() =>
      cause instanceof PolicyError
        ? cause.addContext(context)
        : new PolicyError(`The policy ${how}: ${messageOf(cause)}`, context, { cause }),
    );
  return defer(() => {
    let answer: ReturnType<Policy<A, O>>;
    try {
      answer = policy(last.observation, last);
    } catch (cause) {
      return wrap('threw')(cause);
    }
    if (isObservable(answer)) {
      return answer.pipe(
        take(1),
        throwIfEmpty(() => new PolicyError('The policy Observable completed without an action', context)),
        catchError(wrap('Observable errored')),
      );
    }
    if (isPromiseLike(answer)) return from(answer).pipe(catchError(wrap('rejected')));
    return of(answer);
  });
}
