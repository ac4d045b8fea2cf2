import {
  asyncScheduler,
  catchError,
  concat,
  defer,
  EMPTY,
  filter,
  finalize,
  map,
  merge,
  queueScheduler,
  repeat,
  retry,
  tap,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { SessionStateError } from '../errors/usage-errors.js';
import { runEpisode, type Clock, type EpisodeSession } from '../session/episode.js';
import type { EpisodeOptions, EpisodeStep, Policy } from '../session/types.js';
import { assertFunction, assertInteger, assertNumber } from '../internal/assert-option.js';
import { hasCode, withContext } from '../internal/error-context.js';
import { withSession } from './with-session.js';
import { backoffDelay, type BackoffOptions } from './backoff-delay.js';

/** An `EpisodeStep` of `rollouts`, tagged with the session (0 .. sessions-1) that produced it. */
export type RolloutStep<A, O> = EpisodeStep<A, O> & { sessionIndex: number };

export interface RolloutsOptions {
  /** How many sessions run in parallel: `session$` is subscribed this many times (one connection/container each). */
  sessions: number;
  /** TOTAL number of episodes, shared among the sessions (not per session). */
  episodes: number;
  /** Episode i (global index) is reset with `seed + i`, so seeds are distinct across sessions; unseeded when absent. */
  seed?: number;
  maxSteps?: number;
  resetOptions?: EpisodeOptions['resetOptions'];
  /** Wait and resubscribe a session refused with `CapacityError`; without it the refusal errors the whole run. */
  retryOnCapacity?: CapacityRetryOptions;
  /** Sees sessions start, end, get refused and give up (progress displays, refusal counts). Must not throw. */
  onSessionEvent?: (event: RolloutSessionEvent) => void;
  /** Stamps `timestamp`/`latencyMs` (default `asyncScheduler`). */
  clock?: Clock;
  /** Schedules the capacity retry delay (default `asyncScheduler`). */
  scheduler?: SchedulerLike;
}

/** How `rollouts` retries a session refused for capacity. */
export interface CapacityRetryOptions {
  /** Refusals retried per session; one more and the session gives up. */
  maxRetries: number;
  /** Wait before the first retry (before every retry when `backoff` is absent). */
  delayMs: number;
  /** Grow the wait: retry n waits `backoffDelay(n, { initialMs: delayMs, ...backoff })`. */
  backoff?: Omit<BackoffOptions, 'initialMs'>;
  /** Total ms one session may wait on refusals (the last wait is shortened to fit); then it gives up. Default: no bound but `maxRetries`. */
  maxWaitMs?: number;
}

/**
 * What happened to one of the parallel sessions. `running` counts the sessions whose reset was
 * answered and that are not released yet, after this event.
 */
export type RolloutSessionEvent =
  | { type: 'started'; sessionIndex: number; running: number }
  | { type: 'ended'; sessionIndex: number; running: number }
  | { type: 'refused'; sessionIndex: number; running: number; attempt: number; delayMs: number; error: unknown }
  | { type: 'gave-up'; sessionIndex: number; running: number; attempts: number; waitedMs: number; error: unknown };

/**
 * Runs `episodes` episodes over `sessions` parallel sessions and merges their steps, each tagged
 * with `sessionIndex`. Every session is a subscription of `session$`, which is released (its
 * container stopped) as soon as no episode is left for it.
 *
 * - Work queue: a session that finishes an episode takes the next unclaimed global episode index,
 *   so fast sessions run more episodes; `episodeIndex` is that global index and the seed is
 *   `seed + episodeIndex`, hence distinct across all episodes whatever session runs them.
 * - Within a session, episodes and steps are sequential (see `runEpisode`); across sessions they interleave.
 * - Only `min(sessions, episodes)` sessions are opened.
 * - A `CapacityError` (`ERR_CAPACITY`) errors the run with `context.sessionIndex`, unless
 *   `retryOnCapacity` is set: that session is then resubscribed after `delayMs` (growing with
 *   `backoff`), up to `maxRetries` times and `maxWaitMs` in total, and an episode whose reset was
 *   never answered goes back to the queue. An episode whose reset was answered is never run twice.
 *   A refused session whose wait ends with no episode left completes. One that gives up ends
 *   quietly while another session runs (the others finish the episodes); otherwise its
 *   `CapacityError` (with `context.capacityRefusals` and `waitedMs`) errors the run.
 * - A session Observable that completes without emitting a session is a `SessionStateError`.
 *
 * @example
 * rollouts(GridWorld.fromDockerImage('grid-world:latest'), policy, { sessions: 4, episodes: 100, seed: 0, maxSteps: 200 })
 *   .pipe(episodeStats(), toArray())
 *   .subscribe((stats) => console.table([summarize(stats)]));
 */
export function rollouts<A, O>(
  session$: Observable<EpisodeSession<A, O>>,
  policy: Policy<A, O>,
  options: RolloutsOptions,
): Observable<RolloutStep<A, O>> {
  return defer(() => {
    const { sessions, episodes, seed, maxSteps, resetOptions, retryOnCapacity, onSessionEvent, clock, scheduler = asyncScheduler } = options ?? {};
    assertFunction('policy', policy);
    assertInteger('sessions', sessions, 1, false);
    assertInteger('episodes', episodes, 0, false);
    assertInteger('seed', seed, 0);
    if (retryOnCapacity !== undefined) {
      assertInteger('retryOnCapacity.maxRetries', retryOnCapacity.maxRetries, 0, false);
      assertNumber('retryOnCapacity.delayMs', retryOnCapacity.delayMs, 0, false);
      assertNumber('retryOnCapacity.maxWaitMs', retryOnCapacity.maxWaitMs, 0);
      if (retryOnCapacity.backoff) backoffDelay(1, { ...retryOnCapacity.backoff, initialMs: retryOnCapacity.delayMs });
    }
    if (onSessionEvent !== undefined) assertFunction('onSessionEvent', onSessionEvent);
    const queue = episodeQueue(episodes);
    let running = 0;

    /** Runs claimed episodes on one connected session until the queue is empty. */
    const work = (env: EpisodeSession<A, O>, sessionIndex: number, markLive: () => void): Observable<RolloutStep<A, O>> =>
      defer(() => {
        const episodeIndex = queue.claim();
        if (episodeIndex === undefined) return EMPTY;
        let answered = false;
        return runEpisode(env, policy, {
          ...(seed !== undefined && { seed: seed + episodeIndex }),
          ...(maxSteps !== undefined && { maxSteps }),
          ...(resetOptions && { resetOptions }),
          ...(clock && { clock }),
          episodeIndex,
        }).pipe(
          tap(() => {
            answered = true;
            markLive();
          }),
          finalize(() => {
            if (!answered) queue.giveBack(episodeIndex);
          }),
          map((step) => ({ ...step, sessionIndex })),
        );
        // timer on queueScheduler trampolines episodes of a synchronous session instead of nesting them.
      }).pipe(repeat({ delay: () => (queue.hasWork() ? timer(0, queueScheduler) : EMPTY) }));

    const worker = (sessionIndex: number): Observable<RolloutStep<A, O>> => {
      const connected$ = defer(() => {
        let gotSession = false;
        // Live from the first answered reset until released: what `running` counts.
        let live = false;
        const markLive = () => {
          if (live) return;
          live = true;
          running++;
          onSessionEvent?.({ type: 'started', sessionIndex, running });
        };
        const release = () => {
          if (!live) return;
          live = false;
          running--;
          onSessionEvent?.({ type: 'ended', sessionIndex, running });
        };
        return concat(
          // When the work completes, the worker completes, which releases the connection/container.
          session$.pipe(
            withSession((env) => {
              gotSession = true;
              return work(env, sessionIndex, markLive);
            }),
          ),
          defer(() =>
            gotSession ? EMPTY : throwError(() => new SessionStateError('The session Observable completed without emitting a session')),
          ),
        ).pipe(
          // Released before a retry decision sees the error (finalize alone would run after it).
          tap({ error: release }),
          finalize(release),
        );
      }).pipe(catchError((error: unknown) => throwError(() => withContext(error, { sessionIndex, sessions }))));
      if (!retryOnCapacity) return connected$;
      const { maxRetries, delayMs, backoff, maxWaitMs = Infinity } = retryOnCapacity;
      let waitedMs = 0;
      return connected$.pipe(
        retry({
          delay: (error: unknown, attempt: number) => {
            if (!hasCode(error, 'ERR_CAPACITY')) return throwError(() => error);
            const wanted = backoff ? backoffDelay(attempt, { ...backoff, initialMs: delayMs }) : delayMs;
            const wait = Math.min(wanted, maxWaitMs - waitedMs);
            if (attempt > maxRetries || (wait <= 0 && wanted > 0)) {
              const gaveUp = withContext(error, { capacityRefusals: attempt, waitedMs });
              onSessionEvent?.({ type: 'gave-up', sessionIndex, running, attempts: attempt, waitedMs, error: gaveUp });
              // Others hold the server's slots and will finish the episodes: end this session quietly.
              return running > 0 ? EMPTY : throwError(() => gaveUp);
            }
            waitedMs += wait;
            onSessionEvent?.({ type: 'refused', sessionIndex, running, attempt, delayMs: wait, error });
            // No episode left when the wait ends (the others took them all): nothing to reconnect for.
            return timer(wait, scheduler).pipe(filter(() => queue.hasWork()));
          },
        }),
      );
    };

    return merge(...Array.from({ length: Math.min(sessions, episodes) }, (_, sessionIndex) => worker(sessionIndex)));
  });
}

/** Global episode indices handed out on demand; an index given back is handed out first. */
function episodeQueue(total: number) {
  let next = 0;
  const returned: number[] = [];
  return {
    claim: (): number | undefined => returned.shift() ?? (next < total ? next++ : undefined),
    giveBack: (index: number) => returned.unshift(index),
    hasWork: () => returned.length > 0 || next < total,
  };
}
