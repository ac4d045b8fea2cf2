import { from, isObservable, Observable, of, Subscription, take, type ObservableInput, type Subscriber } from 'rxjs';
import { PoolClosedError, PoolQueueFullError, PoolStartError, PoolUnplaceableError } from '../errors/fleet-errors.js';
import { isPermanentStartFailure } from '../errors/permanent-failure.js';
import { SessionStateError } from '../errors/usage-errors.js';
import { hasCode } from '../internal/error-context.js';
import { sourceUrl } from '../internal/source-url.js';
import { backoffDelay } from '../operators/backoff-delay.js';
import type { CapacityError } from '../errors/protocol-errors.js';
import type { EnvPool, PoolStats } from './env-pool.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import { PoolServer } from './pool-server.js';
import type { PerServer, PoolSource } from './pool-source.js';

/** A lease: its subscriber, and the member it holds once served. */
interface Claim<S> {
  subscriber: Subscriber<S>;
  member: Member<S> | undefined;
}

/**
 * One pooled session. `pending`: waiting for its server to come up; `starting`: opened, not yet
 * confirmed; `idle`/`leased`: confirmed; `closed`: gone for good.
 */
interface Member<S> {
  server: PoolServer<S, Member<S>>;
  state: 'pending' | 'starting' | 'idle' | 'leased' | 'closed';
  session: S | undefined;
  subscription: Subscription;
  claim: Claim<S> | undefined;
  discard: boolean;
  idleTask: Subscription | undefined;
}

export interface PoolCallbacks<S> {
  /** Called once, when `min` sessions are confirmed (or nothing more can be placed). */
  ready(pool: EnvPool<S>): void;
  /** The pool gave up (`PoolStartError`); everything it started is already being removed. */
  failed(error: unknown): void;
}

/**
 * A refusal for capacity: the server's CAPACITY_REACHED, or this process refusing a second session
 * to a generation-A server (one env behind its HTTP routes: `StatefulServerBusyError`), which is a
 * capacity of one learnt the same way (nothing was sent to the server).
 */
const isRefusal = (error: unknown): boolean => hasCode(error, 'ERR_CAPACITY') || hasCode(error, 'ERR_STATEFUL_SERVER_BUSY');

const isPerServer = <S>(source: PoolSource<S>): source is PerServer<S> =>
  !isObservable(source) && !Array.isArray(source);

/**
 * The pool's state machine: members (sessions) on servers, idle stack, FIFO of waiting claims.
 * Plain state and callbacks rather than operators: it is a resource manager, and every lease
 * claim and return is a few field updates (a warm claim emits synchronously).
 *
 * Re-entrancy: user code runs inside `subscriber.next` (a lease emitted) and may unsubscribe or
 * claim again right there, so every method finishes its own state changes before calling out.
 */
export class PoolCore<S> implements EnvPool<S> {
  private readonly members = new Set<Member<S>>();
  private readonly bySession = new Map<S, Member<S>>();
  /** A stack: the most recently returned session is leased first, so extra ones go idle and get evicted. */
  private readonly idle: Member<S>[] = [];
  private readonly waiting: Claim<S>[] = [];
  private readonly servers: PoolServer<S, Member<S>>[] = [];
  private leased = 0;
  private closed = false;
  private emitted = false;
  /** Limit learned for servers a per-server source starts (they are all alike, and ours alone). */
  private learnedLimit: number | undefined;
  /** Servers the pool starts (`perServer`): failed start rounds in a row; a confirmed session resets it. */
  private failedRounds = 0;
  private retry: Subscription | undefined;
  /** The next look for a server that may take a session again: a quarantine ends, a learnt limit is due (see `probe`). */
  private wake: { at: number; task: Subscription } | undefined;
  /** Fixed sources: the give-up clock, running while no server can host a session (see `starved`). */
  private giveUp: { since: number; task: Subscription } | undefined;
  /** The last failed start on a fixed source's server (the `cause` of a give-up). */
  private lastFailure: unknown;
  private readonly counters = { refusals: 0, failed: 0, startFailures: 0, evicted: 0, started: 0 };

  constructor(
    private readonly source: PoolSource<S>,
    private readonly options: ResolvedPoolOptions<S>,
    private readonly callbacks: PoolCallbacks<S>,
  ) {}

  start(): void {
    if (!isPerServer(this.source)) {
      const sources: readonly Observable<S>[] = Array.isArray(this.source) ? this.source : [this.source as Observable<S>];
      sources.forEach((session$, i) => {
        this.servers.push(new PoolServer<S, Member<S>>(sourceUrl(session$) ?? `source #${i}`, () => session$, this.options.sessionsPerServer, false));
      });
    }
    this.grow();
  }

  // --- EnvPool ---------------------------------------------------------------------------------

  session(): Observable<S> {
    return new Observable<S>((subscriber) => {
      if (this.closed) {
        subscriber.error(new PoolClosedError('The pool is closed: no session can be leased'));
        return undefined;
      }
      const claim: Claim<S> = { subscriber, member: undefined };
      const member = this.idle.pop();
      if (member) {
        this.assign(claim, member);
      } else {
        // Claims that sessions starting (or startable below `max`) will serve are not "queued".
        const queued = this.waiting.length - Math.max(0, this.options.max - this.leased);
        if (queued >= this.options.maxWaiting) {
          subscriber.error(new PoolQueueFullError(Math.max(0, queued), this.options.maxWaiting));
          return undefined;
        }
        this.waiting.push(claim);
        this.grow();
      }
      return () => this.release(claim);
    });
  }

  discard(session: S): boolean {
    const member = this.bySession.get(session);
    if (!member || member.state === 'closed') return false;
    member.discard = true;
    if (member.state === 'idle') this.drop(member);
    return true;
  }

  stats(): PoolStats {
    const now = this.options.scheduler.now();
    let starting = 0;
    for (const m of this.members) if (m.state === 'starting' || m.state === 'pending') starting++;
    return {
      size: this.members.size,
      idle: this.idle.length,
      leased: this.leased,
      starting,
      waiting: this.waiting.length,
      servers: this.servers.map((s) => ({
        label: s.label,
        sessions: s.members.size,
        limit: s.limit,
        state: s.quarantined(now) ? 'quarantined' : s.state,
        lastError: s.lastError,
      })),
      ...this.counters,
    };
  }

  /** The pool's subscription ended: leases error, sessions close, then servers stop. */
  close(): void {
    this.shutdown(() => new PoolClosedError('The pool was closed while this session was leased'));
  }

  // --- placement -------------------------------------------------------------------------------

  /** How many sessions the pool should hold right now. */
  private wanted(): number {
    const { min, max } = this.options;
    return Math.max(min, Math.min(max, this.leased + this.waiting.length));
  }

  /** Starts sessions until `wanted()` are open or starting, or nothing more can be placed. */
  private grow(): void {
    if (this.closed) return;
    // A start that fails synchronously schedules a retry: the loop must stop there, not spin.
    while (this.retry === undefined && !this.closed && this.members.size < this.wanted() && this.placeOne());
    this.stopEmptyServers();
    this.checkReady();
  }

  /**
   * Puts one new member on the first healthy server with room, else as a trial on one that failed
   * or lost a session (its quarantine over), else on a server due for a probe of its learnt limit;
   * starting a server if the source can.
   */
  private placeOne(): boolean {
    const now = this.options.scheduler.now();
    let server = this.pick(now) ?? this.probe(now);
    // A server of ours waiting for a slot we gave up gets the session once it frees: not a new server.
    if (!server && isPerServer(this.source) && !this.servers.some((s) => s.waitingForSlot(now))) server = this.startServer(this.source);
    if (!server) return false;
    const member: Member<S> = {
      server,
      state: 'pending',
      session: undefined,
      subscription: new Subscription(),
      claim: undefined,
      discard: false,
      idleTask: undefined,
    };
    this.members.add(member);
    server.members.add(member);
    if (!server.healthy()) server.trial = member;
    if (server.open) this.openMember(member, server.open);
    return true;
  }

  /** Healthy servers first, in order: a trial on a server that failed only when none has room. */
  private pick(now: number): PoolServer<S, Member<S>> | undefined {
    let trial: PoolServer<S, Member<S>> | undefined;
    for (const server of this.servers) {
      if (server.room(now) <= 0) continue;
      if (server.healthy()) return server;
      trial ??= server;
    }
    return trial;
  }

  /**
   * A server whose learnt limit is due to be tried again (`PoolServer.probeDueAt`), with room for
   * one session more; else undefined, and the next look is scheduled for when one falls due or a
   * quarantine ends (the pool wants more than its servers take: a later return or claim might not
   * call `grow`).
   */
  private probe(now: number): PoolServer<S, Member<S>> | undefined {
    const { reprobeMs } = this.options;
    let next = Infinity;
    for (const server of this.servers) {
      if (server.quarantined(now)) next = Math.min(next, server.quarantinedUntil);
      if (server.waitingForSlot(now)) next = Math.min(next, server.slotWaitUntil);
      const due = reprobeMs === Infinity ? undefined : server.probeDueAt(reprobeMs);
      if (due === undefined) continue;
      if (due <= now) {
        server.probe(now);
        return server;
      }
      next = Math.min(next, due);
    }
    if (next < Infinity) this.wakeAt(next, now);
    return undefined;
  }

  /** Looks for room again (`grow`) at scheduler time `at`, unless a look is due before then. */
  private wakeAt(at: number, now: number): void {
    if (this.closed || (this.wake !== undefined && this.wake.at <= at)) return;
    this.wake?.task.unsubscribe();
    const task = this.options.scheduler.schedule(() => {
      this.wake = undefined;
      this.grow();
    }, at - now);
    this.wake = { at, task };
  }

  private startServer(source: PerServer<S>): PoolServer<S, Member<S>> {
    const server = new PoolServer<S, Member<S>>(
      `server #${this.servers.length}`,
      undefined,
      this.options.sessionsPerServer ?? this.learnedLimit,
      true,
    );
    server.state = 'starting';
    this.servers.push(server);
    server.subscription.add(
      source.server$.subscribe({
        next: (endpoint) => {
          if (server.state !== 'starting') return;
          server.state = 'up';
          server.label = endpoint.url;
          const endpoint$ = of(endpoint);
          const open = (): Observable<S> => source.open(endpoint$);
          server.open = open;
          // The server's death is known here first; its sessions fail through their own failure$.
          if (endpoint.failure$) server.subscription.add(endpoint.failure$.subscribe({ error: () => this.serverDied(server) }));
          for (const member of [...server.members]) if (member.state === 'pending') this.openMember(member, open);
        },
        error: (error: unknown) => this.serverDied(server, error),
        complete: () => {
          if (server.state === 'starting') this.serverDied(server, new SessionStateError('The server Observable completed without an endpoint'));
        },
      }),
    );
    return server;
  }

  /** No more placements there; members not opened yet fail as starts; it stops once empty. */
  private serverDied(server: PoolServer<S, Member<S>>, error?: unknown): void {
    if (server.state === 'dead' || this.closed) return;
    const starting = server.state === 'starting';
    server.state = 'dead';
    const pending = [...server.members].filter((m) => m.state === 'pending');
    const why = error ?? new SessionStateError('The server died before the session opened');
    for (const member of pending) this.memberError(member, why);
    // A server that failed before any session was placed on it (synchronously, inside placeOne)
    // is a failed start all the same; without this the pool would start it again at once, forever.
    if (starting && pending.length === 0) return this.roundFailed(why);
    this.grow();
  }

  private stopEmptyServers(): void {
    for (let i = this.servers.length - 1; i >= 0; i--) {
      const server = this.servers[i]!;
      if (server.owned && server.members.size === 0) {
        this.servers.splice(i, 1);
        server.subscription.unsubscribe();
      }
    }
  }

  // --- member lifecycle ------------------------------------------------------------------------

  private openMember(member: Member<S>, open: () => Observable<S>): void {
    member.state = 'starting';
    member.subscription.add(
      open().subscribe({
        next: (session) => {
          if (member.session !== undefined || member.state !== 'starting') return;
          member.session = session;
          this.bySession.set(session, member);
          if (member.server.label.startsWith('source #')) {
            const url = (session as { url?: unknown }).url;
            if (typeof url === 'string') member.server.label = url;
          }
          const { confirm } = this.options;
          if (confirm === false) return this.confirmed(member);
          let proof: ObservableInput<unknown>;
          try {
            proof = confirm(session);
          } catch (error) {
            return this.memberError(member, error);
          }
          let answered = false;
          member.subscription.add(
            from(proof)
              .pipe(take(1))
              .subscribe({
                next: () => {
                  answered = true;
                  this.confirmed(member);
                },
                error: (error: unknown) => this.memberError(member, error),
                complete: () => {
                  if (!answered) this.confirmed(member);
                },
              }),
          );
        },
        error: (error: unknown) => this.memberError(member, error),
        complete: () => {
          if (member.session === undefined) {
            this.memberError(member, new SessionStateError('The session Observable completed without emitting a session'));
          }
        },
      }),
    );
  }

  private confirmed(member: Member<S>): void {
    if (member.state !== 'starting' || this.closed) return;
    this.failedRounds = 0;
    this.counters.started++;
    const wasTrial = member.server.trial === member;
    member.server.admitted();
    if (wasTrial) member.server.trial = undefined;
    if (member.discard) return this.drop(member); // discarded while it was starting
    this.makeIdle(member, true);
    if (this.giveUp && !this.starved()) {
      this.giveUp.task.unsubscribe();
      this.giveUp = undefined;
    }
    // A confirmed trial re-admits its server: the sessions still wanted go there now, before the
    // pool counts itself as warm as it gets (a vector would otherwise start short of `num`).
    if (wasTrial) this.grow();
    else this.checkReady();
  }

  /**
   * Hands `member` to the first waiting claim, or parks it idle (evictable above `min`). A returned
   * session goes on top of the idle stack (leased next, while warm); a fresh one at the bottom, so
   * fresh sessions are leased in the order they were confirmed.
   */
  private makeIdle(member: Member<S>, fresh = false): void {
    const claim = this.waiting.shift();
    if (claim) return this.assign(claim, member);
    member.state = 'idle';
    if (fresh) this.idle.unshift(member);
    else this.idle.push(member);
    const { idleTimeoutMs, scheduler, min, max } = this.options;
    if (idleTimeoutMs !== undefined && max > min) {
      member.idleTask = scheduler.schedule(() => {
        member.idleTask = undefined;
        if (member.state !== 'idle' || this.members.size <= min) return;
        this.counters.evicted++;
        this.drop(member);
      }, idleTimeoutMs);
    }
  }

  private assign(claim: Claim<S>, member: Member<S>): void {
    member.idleTask?.unsubscribe();
    member.idleTask = undefined;
    member.state = 'leased';
    member.claim = claim;
    claim.member = member;
    this.leased++;
    claim.subscriber.next(member.session as S);
  }

  /** A lease ended (unsubscribed, or errored by us). */
  private release(claim: Claim<S>): void {
    const member = claim.member;
    claim.member = undefined;
    if (!member) {
      const at = this.waiting.indexOf(claim);
      if (at >= 0) this.waiting.splice(at, 1);
      return;
    }
    if (member.state !== 'leased' || member.claim !== claim || this.closed) return;
    if (member.discard) return this.drop(member); // close1 also ends the lease's bookkeeping
    member.claim = undefined;
    this.leased--;
    this.makeIdle(member);
  }

  /** The session Observable (or its confirmation) errored. */
  private memberError(member: Member<S>, error: unknown): void {
    const state = member.state;
    if (state === 'closed' || this.closed) return;
    if (state === 'pending' || state === 'starting') return this.startFailed(member, error);
    this.counters.failed++;
    if (!member.server.owned) member.server.lost(error);
    member.server.abandon();
    const claim = member.claim;
    this.close1(member);
    // The lease mirrors a session Observable: it errors when the session dies.
    claim?.subscriber.error(error);
    this.grow();
  }

  private startFailed(member: Member<S>, error: unknown): void {
    const server = member.server;
    const now = this.options.scheduler.now();
    this.close1(member);
    // Refused while the server may still hold the slot of a session we just gave up: not a lesson
    // about its limit (learnt low, an owned server would stay under-used for the rest of the run).
    const slotFreeAt = hasCode(error, 'ERR_CAPACITY') ? server.waitForSlot(now, this.options.backoff) : undefined;
    if (slotFreeAt !== undefined) {
      this.counters.refusals++;
      this.wakeAt(slotFreeAt, now);
      this.grow();
      return;
    }
    if (isRefusal(error) && server.learnFromRefusal(now)) {
      // Full of our own sessions: a lesson, absorbed. Fresh servers of a per-server source are
      // ours alone, so what this one reports (or holds) is what each of them will take.
      this.counters.refusals++;
      if (server.owned && this.options.sessionsPerServer === undefined) {
        const reported = (error as CapacityError).maxSessions;
        const learned = reported !== undefined && reported >= 1 ? reported : server.limit;
        this.learnedLimit = Math.min(this.learnedLimit ?? Infinity, learned ?? Infinity);
      }
      this.grow();
      return;
    }
    if (!server.owned) return this.serverFailed(server, error);
    if (isRefusal(error)) server.state = 'dead'; // a fresh server that refuses us is useless
    this.roundFailed(error);
  }

  /**
   * A start failed on a server of a fixed source (refused, dead, frozen, or someone else holds its
   * only slot): that server is quarantined on its own backoff and re-probed later, the session is
   * placed on another server at once, and the give-up clock runs while no server hosts one.
   */
  private serverFailed(server: PoolServer<S, Member<S>>, error: unknown): void {
    this.counters.startFailures++;
    const now = this.options.scheduler.now();
    if (server.label.startsWith('source #')) {
      // A session never opened there: its URL is known only from the error's context.
      const url = (error as { context?: { url?: unknown } } | null)?.context?.url;
      if (typeof url === 'string') server.label = url;
    }
    this.lastFailure = error;
    if (isPermanentStartFailure(error)) {
      // A 404 for the env routes: no re-probe helps. The others carry the run; with none left, fail now.
      server.lastError = error;
      server.state = 'dead';
      if (this.servers.every((s) => s.state === 'dead')) return this.unplaceable(now);
    } else {
      this.wakeAt(server.quarantine(error, now, this.options.backoff), now);
      this.startGiveUpClock(now);
    }
    this.grow();
  }

  /**
   * No server hosts a session: none of ours is open (or, before the pool is first emitted, fewer
   * than `min`). A fixed source's pool gives up once this lasts `unplaceableTimeoutMs`.
   */
  private starved(): boolean {
    const open = this.idle.length + this.leased;
    return open === 0 || (!this.emitted && open < this.options.min);
  }

  private startGiveUpClock(now: number): void {
    const { unplaceableTimeoutMs, scheduler } = this.options;
    if (this.giveUp || this.closed || !this.starved() || unplaceableTimeoutMs === Infinity) return;
    const task = scheduler.schedule(() => {
      this.giveUp = undefined;
      this.gaveUp(now);
    }, unplaceableTimeoutMs);
    this.giveUp = { since: now, task };
  }

  /** `unplaceableTimeoutMs` ran out: fail, naming every server's cause; or, short of `min`, emit as is. */
  private gaveUp(since: number): void {
    if (this.closed || !this.starved()) return;
    if (this.idle.length + this.leased > 0) {
      this.emitted = true; // short of min: the servers that answer carry the run
      this.callbacks.ready(this);
      return;
    }
    if (this.wanted() === 0) return; // nobody wants a session any more
    this.unplaceable(since);
  }

  /** Fails with `PoolUnplaceableError`: no server can host a session since `since`; each one's cause named. */
  private unplaceable(since: number): void {
    const now = this.options.scheduler.now();
    const servers = this.servers.map((s) => ({ server: s.label, cause: s.lastError }));
    this.fail(new PoolUnplaceableError(now - since, servers, this.counters.startFailures, this.lastFailure));
  }

  /**
   * A start failed (a session, or a server before any session was on it). Failures while a retry
   * is already due belong to the same round; past `startRetries` failed rounds the pool gives up.
   */
  private roundFailed(error: unknown): void {
    this.counters.startFailures++;
    // No such image, a server that exits while starting, a 404 for the env routes: no retry helps.
    if (isPermanentStartFailure(error)) return this.fail(new PoolStartError(this.failedRounds + 1, error));
    if (this.retry === undefined) {
      this.failedRounds++;
      if (this.failedRounds > this.options.startRetries) {
        this.fail(new PoolStartError(this.failedRounds, error));
        return;
      }
      const delay = backoffDelay(this.failedRounds, { initialMs: 200, maxMs: 5_000, ...this.options.backoff });
      this.retry = this.options.scheduler.schedule(() => {
        this.retry = undefined;
        this.grow();
      }, delay);
    }
    this.grow();
  }

  /** Closes an idle or returned member for good and replaces it. */
  private drop(member: Member<S>): void {
    this.close1(member);
    this.grow();
  }

  /** Unsubscribes a member's session (closing it) and forgets it. */
  private close1(member: Member<S>): void {
    if (member.state === 'closed') return;
    if (member.state === 'idle') this.idle.splice(this.idle.indexOf(member), 1);
    if (member.state === 'leased') {
      this.leased--;
      if (member.claim) member.claim.member = undefined;
      member.claim = undefined;
    }
    member.state = 'closed';
    if (member.server.trial === member) member.server.trial = undefined;
    member.idleTask?.unsubscribe();
    this.members.delete(member);
    member.server.members.delete(member);
    if (member.session !== undefined) this.bySession.delete(member.session);
    member.subscription.unsubscribe();
  }

  // --- readiness and the end -------------------------------------------------------------------

  private checkReady(): void {
    if (this.emitted || this.closed) return;
    let confirmed = 0;
    let starting = 0;
    for (const m of this.members) {
      if (m.state === 'idle' || m.state === 'leased') confirmed++;
      else starting++;
    }
    // Warm, or as warm as it gets: nothing starting, no retry due, no failed server waiting for its
    // re-probe (the give-up clock bounds that wait), and no server takes more. "Failed", not "in
    // quarantine now": a wake may fire a millisecond before the quarantine ends, find it still on,
    // and the clock may pass its end before this check.
    const now = this.options.scheduler.now();
    const recovering = this.servers.some((s) => s.state !== 'dead' && (!s.healthy() || s.waitingForSlot(now)));
    if (confirmed >= this.options.min || (starting === 0 && this.retry === undefined && !recovering)) {
      this.emitted = true;
      this.callbacks.ready(this);
    }
  }

  private fail(error: unknown): void {
    this.shutdown(() => error);
    this.callbacks.failed(error);
  }

  private shutdown(leaseError: () => unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.retry?.unsubscribe();
    this.retry = undefined;
    this.wake?.task.unsubscribe();
    this.wake = undefined;
    this.giveUp?.task.unsubscribe();
    this.giveUp = undefined;
    const claims = [...this.waiting];
    this.waiting.length = 0;
    for (const member of this.members) if (member.claim) claims.push(member.claim);
    // Sessions first (their transports close while the servers still run), then the servers.
    for (const member of [...this.members]) this.close1(member);
    for (const server of this.servers.splice(0)) server.subscription.unsubscribe();
    for (const claim of claims) claim.subscriber.error(leaseError());
  }
}
