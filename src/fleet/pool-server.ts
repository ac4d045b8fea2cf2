import { Subscription, type Observable } from 'rxjs';

/** One server as the pool sees it: how many of our sessions it holds and how many it accepts. */
export class PoolServer<S, M> {
  /** Our sessions on it, starting or open. */
  readonly members = new Set<M>();
  /** What the pool holds while the server is in use (per-server sources: the server's own lifetime). */
  readonly subscription = new Subscription();
  state: 'starting' | 'up' | 'dead' = 'up';
  /** Refused our first session: skipped until the next retry round (someone else may hold it). */
  blocked = false;
  /** Scheduler time of the last lesson (refusal) or probe; undefined while `limit` was never learnt. */
  learnedAt: number | undefined;

  constructor(
    /** `url` once known, else `source #i` / `server #i`. */
    public label: string,
    /** Opens one session on this server; undefined while a started server is not up yet. */
    public open: (() => Observable<S>) | undefined,
    /** Sessions it accepts: given (`sessionsPerServer`), learned from refusals, or unknown. */
    public limit: number | undefined,
    /** Started by the pool (per-server source): stopped once no session is left on it. */
    readonly owned: boolean,
  ) {}

  /** How many more sessions may be placed here (Infinity while the limit is unknown: probing learns it). */
  room(): number {
    if (this.state === 'dead' || this.blocked) return 0;
    return (this.limit ?? Infinity) - this.members.size;
  }

  /**
   * A CAPACITY_REACHED refusal while `this.members` (the refused session already removed) of ours
   * are on it. With some of ours there, it is full of ours: the limit is their count (concurrent
   * probes that are refused later lower it further, so it settles on what was accepted). With none
   * of ours, someone else holds it: that is a failure, not a lesson. Returns whether it taught us.
   */
  learnFromRefusal(now: number): boolean {
    const ours = this.members.size;
    if (ours === 0) {
      this.blocked = true;
      return false;
    }
    this.limit = Math.min(this.limit ?? Infinity, ours);
    this.learnedAt = now;
    return true;
  }

  /**
   * When one session more may be tried on this server: `reprobeMs` after the last lesson or probe.
   * A limit learnt on a server others share shrinks while they hold sessions and must be able to
   * grow once they leave. Undefined when it never will: a server the pool started is ours alone
   * (its limit is exact), a limit no refusal taught (given, or unknown), a server down or blocked.
   */
  probeDueAt(reprobeMs: number): number | undefined {
    if (this.owned || this.learnedAt === undefined || this.state !== 'up' || this.blocked) return undefined;
    return this.learnedAt + reprobeMs;
  }

  /** Room for one session more than ours: if it is refused, `learnFromRefusal` takes the limit back. */
  probe(now: number): void {
    this.limit = this.members.size + 1;
    this.learnedAt = now;
  }
}
