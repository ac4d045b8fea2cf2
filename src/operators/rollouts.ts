import { asyncScheduler, defer, EMPTY, Observable, type SchedulerLike } from 'rxjs';
import type { Clock, EpisodeSession } from '../session/episode-loop.js';
import type { EpisodeOptions, EpisodeStep, Policy } from '../session/types.js';
import { InvalidOptionError } from '../errors/usage-errors.js';
import { assertFunction, assertInteger, assertNumber } from '../internal/assert-option.js';
import { backoffDelay, type BackoffOptions } from './backoff-delay.js';
import { RolloutRun } from './rollout-run.js';

/** An `EpisodeStep` of `rollouts`, tagged with the session (0 .. sessions-1) that produced it. */
export type RolloutStep<A, O> = EpisodeStep<A, O> & { sessionIndex: number };

/** Options of `rollouts(session$, policy, options)`: parallel sessions, the episode budget, and what a lost session does. */
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
  /**
   * Survive session faults (default on): a session whose socket drops, whose server or container
   * dies, or whose reply times out is dropped and `session$` is subscribed again (after a backoff,
   * a bounded number of times in a row); the episode in flight ends with a failure step (see
   * `EpisodeStep.error`) and is never replayed; the other sessions carry on. `false` restores
   * "the first error fails the run".
   */
  replaceFailedSessions?: boolean | ReplaceSessionsOptions;
  /** Sees sessions start, end, get refused, get lost and give up (progress displays, counts). Must not throw. */
  onSessionEvent?: (event: RolloutSessionEvent) => void;
  /** Stamps `timestamp`/`latencyMs` (default `asyncScheduler`). */
  clock?: Clock;
  /** Schedules the capacity retry and replacement delays (default `asyncScheduler`). */
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

/** How `rollouts` replaces a failed session. */
export interface ReplaceSessionsOptions {
  /**
   * Replacements in a row per session slot before it gives up; the count restarts once a
   * replacement answers a reset. Default 5.
   */
  maxRetries?: number;
  /** The wait before replacement n is `backoffDelay(n, backoff)`. Default `{ initialMs: 200, factor: 2, maxMs: 5_000 }`. */
  backoff?: BackoffOptions;
}

/**
 * What happened to one of the parallel sessions. `running` counts the sessions whose reset was
 * answered and that are not released yet, after this event.
 */
export type RolloutSessionEvent =
  | { type: 'started'; sessionIndex: number; running: number }
  | { type: 'ended'; sessionIndex: number; running: number }
  | { type: 'refused'; sessionIndex: number; running: number; attempt: number; delayMs: number; error: unknown }
  /** A session fault: the session was dropped and is replaced after `delayMs` (`attempt`: in a row). */
  | { type: 'lost'; sessionIndex: number; running: number; attempt: number; delayMs: number; error: unknown }
  /** `reason`: too many capacity refusals, or too many faults in a row. */
  | { type: 'gave-up'; sessionIndex: number; running: number; attempts: number; waitedMs: number; error: unknown; reason: 'capacity' | 'fault' };

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
 * - Faults (`replaceFailedSessions`, on by default): a session whose socket drops, whose server,
 *   container, swarm task or Kubernetes pod dies, whose reply or keepalive times out, or whose server sends garbage or
 *   a fatal error frame is dropped (its container stopped) and `session$` is subscribed again
 *   after `backoffDelay(n)`, up to `maxRetries` times in a row (a capacity refusal of such a
 *   replacement counts as one: the server may still hold the lost session's slot). The episode
 *   in flight ends with a failure step: `error` (an `EpisodeFailedError`: `stepUnknown` when the
 *   step in flight may have reached the env; its `cause` is the typed fault), `truncated: true`,
 *   `reward: null`, the last observation; it is never replayed. An episode whose reset was not
 *   answered goes back to the queue. A slot that gives up ends quietly while another session
 *   runs; otherwise its error errors the run. Every planned episode is emitted (ended or failed)
 *   or the run errors. What only the caller can fix still errors the run: a `PolicyError`, an
 *   action or frame the server refused or raised on (`VALIDATION_ERROR`, `EXECUTION_ERROR`), a
 *   schema mismatch, a usage error.
 * - A session Observable that completes without emitting a session is a `SessionStateError`.
 *
 * @example
 * rollouts(GridWorld.fromDockerImage(image), policy, { sessions: 4, episodes: 100, seed: 0, maxSteps: 200 })
 *   .pipe(episodeStats(), toArray())
 *   .subscribe((stats) => console.table([summarize(stats)]));
 */
export function rollouts<A, O>(
  session$: Observable<EpisodeSession<A, O>>,
  policy: Policy<A, O>,
  options: RolloutsOptions,
): Observable<RolloutStep<A, O>> {
  return defer(() => {
    const { sessions, episodes, seed, maxSteps, retryOnCapacity, onSessionEvent, replaceFailedSessions = true } = options ?? ({} as RolloutsOptions);
    assertFunction('policy', policy);
    assertInteger('sessions', sessions, 1, false);
    assertInteger('episodes', episodes, 0, false);
    assertInteger('seed', seed, 0);
    assertInteger('maxSteps', maxSteps, 0);
    if (retryOnCapacity !== undefined) {
      assertInteger('retryOnCapacity.maxRetries', retryOnCapacity.maxRetries, 0, false);
      assertNumber('retryOnCapacity.delayMs', retryOnCapacity.delayMs, 0, false);
      assertNumber('retryOnCapacity.maxWaitMs', retryOnCapacity.maxWaitMs, 0);
      if (retryOnCapacity.backoff) backoffDelay(1, { ...retryOnCapacity.backoff, initialMs: retryOnCapacity.delayMs });
    }
    const replace = replaceOptions(replaceFailedSessions);
    if (onSessionEvent !== undefined) assertFunction('onSessionEvent', onSessionEvent);
    if (episodes === 0) return EMPTY;
    // One hand-written coordinator instead of merge/retry/repeat/switchMap chains per session:
    // every step passes through here, and each operator layer per step showed in profiles.
    return new Observable<RolloutStep<A, O>>((subscriber) => {
      const run = new RolloutRun<A, O>(session$, policy, { ...options, scheduler: options.scheduler ?? asyncScheduler, replace }, subscriber);
      run.start();
      return () => run.stop();
    });
  });
}

const DEFAULT_REPLACE_BACKOFF: BackoffOptions = { initialMs: 200, factor: 2, maxMs: 5_000 };

/** `replaceFailedSessions` validated, defaults filled in; `undefined` when faults fail the run. */
function replaceOptions(option: unknown): { maxRetries: number; backoff: BackoffOptions } | undefined {
  if (option === false) return undefined;
  if (option === true) return { maxRetries: 5, backoff: DEFAULT_REPLACE_BACKOFF };
  if (typeof option !== 'object' || option === null) throw new InvalidOptionError('replaceFailedSessions', option, 'a boolean or { maxRetries?, backoff? }');
  const { maxRetries = 5, backoff = DEFAULT_REPLACE_BACKOFF } = option as ReplaceSessionsOptions;
  assertInteger('replaceFailedSessions.maxRetries', maxRetries, 0);
  backoffDelay(1, backoff); // bad backoff options fail now, not at the first fault
  return { maxRetries, backoff };
}
