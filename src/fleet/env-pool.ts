import { defer, Observable } from 'rxjs';
import { resolvePoolOptions, type EnvPoolOptions } from './pool-options.js';
import { PoolCore } from './pool-core.js';
import { assertPoolSource, type PoolSource } from './pool-source.js';

/** A snapshot of a pool, for logs, progress lines and tests. */
export interface PoolStats {
  /** Sessions open or starting. */
  size: number;
  idle: number;
  leased: number;
  /** Sessions started and not yet confirmed (or waiting for their server). */
  starting: number;
  /** Leases waiting for a session. */
  waiting: number;
  /**
   * Each server: `quarantined` after a failed start (nothing is placed there until its re-probe);
   * `lastError` is its last failed start or lost session, kept after it recovers.
   */
  servers: Array<{
    label: string;
    sessions: number;
    limit: number | undefined;
    state: 'starting' | 'up' | 'dead' | 'quarantined';
    lastError?: unknown;
  }>;
  /** CAPACITY_REACHED refusals absorbed (the session was placed elsewhere or waited for). */
  refusals: number;
  /** Sessions that failed (after being confirmed) and were dropped. */
  failed: number;
  /** Starts that failed (each retried after a backoff: on a fixed source, its server's quarantine). */
  startFailures: number;
  /** Idle sessions closed by `idleTimeoutMs`. */
  evicted: number;
  /** Sessions confirmed over the pool's life (replacements included). */
  started: number;
}

/**
 * Warm sessions to lease. A lease is a subscription: `session()` emits a ready session and gives it
 * back when unsubscribed. The pool itself lives as long as the `envPool` subscription.
 */
export interface EnvPool<S> {
  /**
   * A lease, cold: subscribing claims an idle session (emitted at once when one is free), or waits
   * for one (`PoolQueueFullError` past `maxWaiting`). Like a session Observable it emits once,
   * never completes, and errors when the session dies. Unsubscribing returns it: a healthy session
   * is kept for the next lease, as is (every episode starts with its own reset); a dead or
   * discarded one is closed and replaced in the background.
   */
  session(): Observable<S>;
  /** Closes `session` when its lease ends (at once if idle) and starts a replacement. False if unknown. */
  discard(session: S): boolean;
  /** A snapshot: sessions open, idle, leased and starting, leases waiting, each server, refusals and failures. */
  stats(): PoolStats;
}

/**
 * Keeps sessions of `source` open and hands them out as leases: `min` always warm, up to `max`
 * on demand, idle ones above `min` closed after `idleTimeoutMs`. Emits the pool once `min`
 * sessions are confirmed (a first `reset` answered: a `/ws` CAPACITY_REACHED refusal only shows
 * after the handshake); unsubscribing closes every session, then stops every server it started.
 *
 * - Capacity: a refused session is never an error the user sees while the pool can absorb it. The
 *   pool learns each server's limit from refusals (or `sessionsPerServer`), packs sessions onto a
 *   server up to it, and starts another server (`perServer` sources) or waits for a free slot.
 * - Failures: a session whose socket drops, whose server dies or whose reply times out errors its
 *   lease and is replaced, on another server with room when the source has several.
 * - Fixed sources (an Observable, or an array of them): a server where a start fails (refused,
 *   dead, frozen, its only slot held by someone else) is quarantined on its own `backoff` and
 *   re-probed later with one trial session (a server restarted on the same port is used again);
 *   the other servers are tried at once. The pool errors with `PoolUnplaceableError` (every
 *   server's last failure named) only once no server has hosted a session for
 *   `unplaceableTimeoutMs`.
 * - Servers the pool starts (`perServer`): a failed start is retried after `backoff`; after
 *   `startRetries` failed rounds in a row the pool errors with `PoolStartError`.
 * - Either way, a pool that errors has removed everything it started.
 *
 * @example
 * envPool(Echo.fromDockerImage(image), { size: 4 })
 *   .pipe(withSession((pool) => merge(...[0, 1, 2, 3].map(() => pool.session().pipe(withSession((env) => env.episode(policy, { maxSteps: 10 })))))))
 *   .subscribe(console.log); // then every lease is returned and the pool removes its containers
 */
export function envPool<S>(source: PoolSource<S>, options: EnvPoolOptions<S>): Observable<EnvPool<S>> {
  return defer(() => {
    assertPoolSource(source);
    const resolved = resolvePoolOptions(options);
    return new Observable<EnvPool<S>>((subscriber) => {
      const core = new PoolCore(source, resolved, {
        ready: (pool) => subscriber.next(pool),
        failed: (error) => subscriber.error(error),
      });
      core.start();
      return () => core.close();
    });
  });
}
