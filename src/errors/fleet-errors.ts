import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/** The message of a cause, for the messages that wrap it. */
const causeText = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

/**
 * A lease asked for a session while every session of the pool was leased, the pool was at its
 * `max`, and `maxWaiting` claims were already waiting. Nothing was started or sent.
 *
 * @example
 * envPool(Echo.connect(url), { size: 1, maxWaiting: 1 })
 *   .pipe(withSession((pool) => merge(pool.session(), pool.session(), pool.session()))) // leased, waiting, refused
 *   .subscribe({ error: (e) => e instanceof PoolQueueFullError && console.log(e.waiting, e.maxWaiting) }); // 1 1
 */
export class PoolQueueFullError extends OpenEnvError {
  constructor(
    /** Claims already waiting when this one was refused. */
    readonly waiting: number,
    readonly maxWaiting: number,
    context: ErrorContext = {},
  ) {
    super(`Every pooled session is leased and ${waiting} claim(s) already wait (maxWaiting ${maxWaiting})`, 'ERR_POOL_QUEUE_FULL', context);
  }
}

/** A lease of a pool that was closed (unsubscribed) or had failed. `cause` holds the pool's failure, if any. */
export class PoolClosedError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_POOL_CLOSED', context, options);
  }
}

/**
 * The pool could not start sessions: `attempts` rounds of starts in a row failed (each round
 * after a backoff). `cause` is the last start error (a `DockerError`, `ServerExitedError`, a
 * `CapacityError` no server could absorb, ...). Everything the pool had started is removed.
 */
export class PoolStartError extends OpenEnvError {
  constructor(
    readonly attempts: number,
    cause: unknown,
    context: ErrorContext = {},
    /** A subclass's own message (default: the attempts and the cause). */
    message = `The pool could not start a session after ${attempts} attempt(s): ${causeText(cause)}`,
  ) {
    super(message, 'ERR_POOL_START', context, { cause });
  }
}

/** One server of a pool that gave up, and why it could not host a session. */
export interface UnplaceableServer {
  /** Its URL (`Env.connect`'s, else from a session or an error's context once known), else `source #i`. */
  server: string;
  /** The last failure seen there (a failed start, or the loss of a session); undefined if none. */
  cause: unknown;
}

/**
 * A pool over a fixed set of servers (an Observable, or an array of them) found no server that
 * could host a session for `waitedMs` (`unplaceableTimeoutMs`): every server refused or failed
 * its starts while no session of the pool was open. `servers` names each server with its own last
 * failure (a dead one's `ECONNREFUSED`, a frozen one's timeout, a full one's `CapacityError`);
 * `cause` is the last failure of all. Same code as `PoolStartError` (`ERR_POOL_START`).
 *
 * @example
 * const down = ['http://127.0.0.1:9', 'http://127.0.0.1:10']; // nothing listens there
 * envPool(down.map((url) => Echo.connect(url)), { size: 2, unplaceableTimeoutMs: 3_000 }).subscribe({
 *   error: (e) => e instanceof PoolUnplaceableError && e.servers.forEach((s) => console.log(s.server, String(s.cause))),
 * }); // after 3 s: each URL with its ECONNREFUSED (while a server answers, the pool stays open instead)
 */
export class PoolUnplaceableError extends PoolStartError {
  constructor(
    readonly waitedMs: number,
    readonly servers: readonly UnplaceableServer[],
    attempts: number,
    cause: unknown,
    context: ErrorContext = {},
  ) {
    const each = servers.map((s) => `${s.server}: ${s.cause === undefined ? 'no failure seen' : causeText(s.cause)}`).join('; ');
    super(attempts, cause, context, `No server could host a session for ${waitedMs} ms (${attempts} failed start(s)); ${each}`);
  }
}

/**
 * One sub-env's episode ended because of a failure, not because the env said so. `stepUnknown`
 * is true when a request reached the wire and no answer came back (socket dropped, server died,
 * reply timed out): whether the env applied it is unknown, and it is never sent again. `cause`
 * holds the underlying typed error; `context.envIndex` says which sub-env.
 *
 * @example <caption>doctest: with venv (an open vector env)</caption>
 * venv.reset({ seed: 0 }).pipe(concatMap(() => venv.step(actions)))
 *   .subscribe(({ infos }) => infos.error?.forEach((e, i) => e && console.log(i, e.stepUnknown, e.cause)));
 */
export class EpisodeFailedError extends OpenEnvError {
  constructor(
    readonly stepUnknown: boolean,
    cause: unknown,
    context: ErrorContext = {},
  ) {
    const what = stepUnknown ? 'the outcome of the request in flight is unknown (it is never replayed)' : 'nothing was lost in flight';
    super(`The episode failed; ${what}: ${causeText(cause)}`, 'ERR_EPISODE_FAILED', context, { cause });
  }
}
