import { asyncScheduler, type ObservableInput, type SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../errors/usage-errors.js';
import { assertFunction, assertInteger, assertNumber } from '../internal/assert-option.js';
import { backoffDelay, type BackoffOptions } from '../operators/backoff-delay.js';

/** Options of `envPool`. Give `size`, or `min`/`max`. */
export interface EnvPoolOptions<S> {
  /** Shorthand for `min = max = size`: that many sessions, always warm. */
  size?: number;
  /** Sessions kept open even when nobody leases them. Default `size`, else 0. */
  min?: number;
  /** Most sessions open at once; leases beyond wait. Default `size`, else `min`, at least 1. */
  max?: number;
  /** An idle session above `min` is closed after this long unleased. Default: never. */
  idleTimeoutMs?: number;
  /**
   * Leases that may wait once every session is leased and the pool is at `max`; one more errors
   * with `PoolQueueFullError`. 0 fails fast. Default 1024.
   */
  maxWaiting?: number;
  /** Sessions one server accepts, when you know it; otherwise learned from CAPACITY_REACHED refusals. */
  sessionsPerServer?: number;
  /**
   * A limit learnt from a refusal on a server the pool did not start (a URL others may share) is
   * tried again this long after the lesson: one session more, only while leases wait or the pool
   * is below `min`. Refused, the limit stays; accepted, it grows by one. Default 60 000;
   * `Infinity` never tries again.
   */
  reprobeMs?: number;
  /**
   * What proves a new session was accepted (a `/ws` refusal arrives only after the handshake):
   * default `session.reset()`. `false` trusts the emitted session as is.
   */
  confirm?: ((session: S) => ObservableInput<unknown>) | false;
  /**
   * Servers the pool starts itself (`perServer`): rounds of failed server starts in a row retried
   * (with `backoff`) before the pool errors with `PoolStartError`. Default 5. Not used by a fixed
   * source (an Observable, or an array of them): see `unplaceableTimeoutMs`.
   */
  startRetries?: number;
  /**
   * Delay before a failed start is tried again: on a fixed source, the quarantine of the server
   * that failed (its own n-th failure in a row waits `backoffDelay(n)`; the other servers are
   * tried at once); on `perServer`, before each retry round. Default 200 ms doubling up to 5 s.
   */
  backoff?: BackoffOptions;
  /**
   * Fixed sources (an Observable, or an array of them, e.g. `urls.map(Env.connect)`): how long
   * the pool goes on while no server can host a session (every start fails, none of its sessions
   * open; or, before it is first emitted, fewer than `min`) before it errors with
   * `PoolUnplaceableError` naming every server's last failure. Meanwhile failed servers are
   * re-probed on their own backoff and used again once they answer. A short pool (some sessions
   * open, fewer than `min`) is emitted as it is when this runs out. Default 60 000; `Infinity`
   * waits for ever.
   */
  unplaceableTimeoutMs?: number;
  /** Schedules idle eviction, quarantines, re-probes and retries. Default `asyncScheduler` (virtual time in marble tests). */
  scheduler?: SchedulerLike;
}

/** `EnvPoolOptions` checked, with every default filled in. */
export interface ResolvedPoolOptions<S> {
  min: number;
  max: number;
  idleTimeoutMs: number | undefined;
  maxWaiting: number;
  sessionsPerServer: number | undefined;
  reprobeMs: number;
  confirm: ((session: S) => ObservableInput<unknown>) | false;
  startRetries: number;
  backoff: BackoffOptions;
  unplaceableTimeoutMs: number;
  scheduler: SchedulerLike;
}

const DEFAULT_MAX_WAITING = 1024;
const DEFAULT_REPROBE_MS = 60_000;
const DEFAULT_UNPLACEABLE_TIMEOUT_MS = 60_000;

/** Checks `EnvPoolOptions` (an `InvalidOptionError` names the field) and fills in the defaults. */
export function resolvePoolOptions<S>(options: EnvPoolOptions<S> | undefined): ResolvedPoolOptions<S> {
  const o = options ?? {};
  assertInteger('size', o.size, 1);
  assertInteger('min', o.min, 0);
  assertInteger('max', o.max, 1);
  assertNumber('idleTimeoutMs', o.idleTimeoutMs, 0);
  if (o.maxWaiting !== Infinity) assertInteger('maxWaiting', o.maxWaiting, 0);
  assertInteger('sessionsPerServer', o.sessionsPerServer, 1);
  if (o.reprobeMs !== Infinity) assertNumber('reprobeMs', o.reprobeMs, 0);
  assertInteger('startRetries', o.startRetries, 0);
  if (o.unplaceableTimeoutMs !== Infinity) assertNumber('unplaceableTimeoutMs', o.unplaceableTimeoutMs, 0);
  // Checked now: the pool computes a delay only when a start fails, inside a subscriber.
  if (o.backoff !== undefined) backoffDelay(1, o.backoff);
  if (o.confirm !== undefined && o.confirm !== false) assertFunction('confirm', o.confirm);
  if (o.size === undefined && o.min === undefined && o.max === undefined) {
    throw new InvalidOptionError('size', undefined, 'a pool size (size, or min/max)');
  }
  const min = o.min ?? o.size ?? 0;
  const max = o.max ?? o.size ?? Math.max(min, 1);
  if (min > max) throw new InvalidOptionError('min', min, `at most max (${max})`);
  return {
    min,
    max,
    idleTimeoutMs: o.idleTimeoutMs,
    maxWaiting: o.maxWaiting ?? DEFAULT_MAX_WAITING,
    sessionsPerServer: o.sessionsPerServer,
    reprobeMs: o.reprobeMs ?? DEFAULT_REPROBE_MS,
    confirm: o.confirm ?? ((session: S) => (session as { reset(): ObservableInput<unknown> }).reset()),
    startRetries: o.startRetries ?? 5,
    backoff: o.backoff ?? {},
    unplaceableTimeoutMs: o.unplaceableTimeoutMs ?? DEFAULT_UNPLACEABLE_TIMEOUT_MS,
    scheduler: o.scheduler ?? asyncScheduler,
  };
}
