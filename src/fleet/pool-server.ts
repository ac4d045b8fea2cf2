import { Subscription, type Observable } from 'rxjs';
import { backoffDelay, type BackoffOptions } from '../operators/backoff-delay.js';

/**
 * Refusals in a row a lost session's slot may explain before one is taken as a lesson about the
 * limit (with the default backoff, ~11 s of waits: a server frees a slot once the step it was
 * running ends and it sees the socket closed).
 */
export const STALE_SLOT_RETRIES = 6;

/** One server as the pool sees it: how many of our sessions it holds and how many it accepts. */
export class PoolServer<S, M> {
  /** Our sessions on it, starting or open. */
  readonly members = new Set<M>();
  /** What the pool holds while the server is in use (per-server sources: the server's own lifetime). */
  readonly subscription = new Subscription();
  state: 'starting' | 'up' | 'dead' = 'up';
  /** Scheduler time of the last lesson (refusal) or probe; undefined while `limit` was never learnt. */
  learnedAt: number | undefined;
  /** Failed starts here in a row (a confirmed session resets them); each quarantines it longer. */
  failures = 0;
  /** The last failed start or lost session here: what a pool that gives up reports for this server. */
  lastError: unknown;
  /** Scheduler time before which nothing is placed here (after a failed start). */
  quarantinedUntil = -Infinity;
  /** Lost a session: the next one placed here is a trial, alone (the server may be dead or frozen). */
  suspect = false;
  /** The one session placed on a server that failed or lost a session, until it is confirmed or fails. */
  trial: M | undefined;
  /**
   * Our sessions lost here whose slot the server may still hold (it has not seen the socket close:
   * a step still running past our reply timeout, a half-open socket). A refusal while it is above 0
   * says nothing about the limit: the replacement waits for the slot instead (`waitForSlot`).
   */
  abandoned = 0;
  /** Refusals in a row put down to an abandoned slot; past `STALE_SLOT_RETRIES` the refusal is a lesson after all. */
  slotWaits = 0;
  /** Scheduler time before which nothing is placed here: waiting for an abandoned slot to free. */
  slotWaitUntil = -Infinity;
  /** The limit was learnt while an abandoned slot may still have been held: re-probed even on a server we own. */
  provisional = false;

  constructor(
    /** `url` (from the start for `Env.connect(url)`; else once known), else `source #i` / `server #i`. */
    public label: string,
    /** Opens one session on this server; undefined while a started server is not up yet. */
    public open: (() => Observable<S>) | undefined,
    /** Sessions it accepts: given (`sessionsPerServer`), learned from refusals, or unknown. */
    public limit: number | undefined,
    /** Started by the pool (per-server source): stopped once no session is left on it. */
    readonly owned: boolean,
  ) {}

  /**
   * How many more sessions may be placed here at scheduler time `now` (Infinity while the limit is
   * unknown: probing learns it). None while quarantined; one at a time (a trial) while it has
   * failed or lost a session and no session of ours has been confirmed on it since.
   */
  room(now: number): number {
    if (this.state === 'dead' || now < this.quarantinedUntil || this.waitingForSlot(now)) return 0;
    const free = (this.limit ?? Infinity) - this.members.size;
    if (this.healthy()) return free;
    return this.trial === undefined ? Math.min(free, 1) : 0;
  }

  /** No failed start and no lost session since its last confirmed session. */
  healthy(): boolean {
    return this.failures === 0 && !this.suspect;
  }

  /**
   * A start failed here (refused connection, timeout, someone else holding its only slot, ...):
   * nothing is placed here before the returned scheduler time, `backoff(failures)` from now.
   * Starts already under way when it failed fail too: they belong to the same quarantine.
   */
  quarantine(error: unknown, now: number, backoff: BackoffOptions): number {
    this.lastError = error;
    if (now < this.quarantinedUntil) return this.quarantinedUntil;
    this.failures++;
    this.quarantinedUntil = now + backoffDelay(this.failures, { initialMs: 200, maxMs: 5_000, ...backoff });
    return this.quarantinedUntil;
  }

  /** A session of ours failed after it was confirmed here: the next placement here is a trial. */
  lost(error: unknown): void {
    this.lastError = error;
    this.suspect = true;
  }

  /** A confirmed session of ours here ended in failure: the server may hold its slot a while longer. */
  abandon(): void {
    this.abandoned++;
  }

  /**
   * A CAPACITY_REACHED refusal that an abandoned slot may explain (the server has not freed the
   * slot of a session we just gave up): nothing is placed here for `backoff(n)`, then the same
   * server is tried again. Returns that time, or undefined when the refusal must be taken as a
   * lesson: no slot abandoned, or `STALE_SLOT_RETRIES` waits in a row already.
   */
  waitForSlot(now: number, backoff: BackoffOptions): number | undefined {
    if (this.abandoned === 0 || this.slotWaits >= STALE_SLOT_RETRIES) return undefined;
    this.slotWaits++;
    this.slotWaitUntil = now + backoffDelay(this.slotWaits, { initialMs: 200, maxMs: 5_000, ...backoff });
    return this.slotWaitUntil;
  }

  /** Whether `now` is inside a wait for an abandoned slot. */
  waitingForSlot(now: number): boolean {
    return this.state === 'up' && now < this.slotWaitUntil;
  }

  /** A session was confirmed here: the server answers, whatever it did before. */
  admitted(): void {
    this.failures = 0;
    this.suspect = false;
    this.quarantinedUntil = -Infinity;
    this.slotWaits = 0;
    // At its limit with our sessions alone: no slot of ours is held any more.
    if (this.limit !== undefined && this.members.size >= this.limit) this.abandoned = 0;
  }

  /** Whether `now` is inside a quarantine. */
  quarantined(now: number): boolean {
    return this.state !== 'dead' && now < this.quarantinedUntil;
  }

  /**
   * A CAPACITY_REACHED refusal while `this.members` (the refused session already removed) of ours
   * are on it. With some of ours there, it is full of ours: the limit is their count (concurrent
   * probes that are refused later lower it further, so it settles on what was accepted). With none
   * of ours, someone else holds it: that is a failure, not a lesson. Returns whether it taught us.
   */
  learnFromRefusal(now: number): boolean {
    const ours = this.members.size;
    if (ours === 0) return false;
    this.limit = Math.min(this.limit ?? Infinity, ours);
    this.learnedAt = now;
    // Learnt while a slot we gave up may still have been held: a guess, tried again later.
    this.provisional = this.abandoned > 0;
    this.abandoned = 0;
    this.slotWaits = 0;
    return true;
  }

  /**
   * When one session more may be tried on this server: `reprobeMs` after the last lesson or probe.
   * A limit learnt on a server others share shrinks while they hold sessions and must be able to
   * grow once they leave. Undefined when it never will: a server the pool started is ours alone
   * (its limit is exact, unless learnt while a slot we gave up was still held: `provisional`), a
   * limit no refusal taught (given, or unknown), a server down or failing (its quarantine decides
   * when it is tried again).
   */
  probeDueAt(reprobeMs: number): number | undefined {
    if ((this.owned && !this.provisional) || this.learnedAt === undefined || this.state !== 'up' || !this.healthy()) return undefined;
    return this.learnedAt + reprobeMs;
  }

  /** Room for one session more than ours: if it is refused, `learnFromRefusal` takes the limit back. */
  probe(now: number): void {
    this.limit = this.members.size + 1;
    this.learnedAt = now;
  }
}
