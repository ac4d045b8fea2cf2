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
  learnFromRefusal(): boolean {
    const ours = this.members.size;
    if (ours === 0) {
      this.blocked = true;
      return false;
    }
    this.limit = Math.min(this.limit ?? Infinity, ours);
    return true;
  }
}
