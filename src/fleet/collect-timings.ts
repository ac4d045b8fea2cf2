import { defer, isObservable, tap, type Observable } from 'rxjs';
import { percentileOfSorted } from '../internal/percentile.js';
import { perServer, type PoolSource } from './pool-source.js';

/**
 * The phases a collection times, in the order a session lives through them:
 * - `server`: a server started by the pool (`perServer` sources) from start to healthy;
 * - `connect`: a session opened on a running server (socket open; for a plain session Observable
 *   that starts its own server, such as `fromDockerImage`, the server's start is in here);
 * - `first_reset`: the reset that confirms a new session (a refusal shows only there);
 * - `reset`, `step`: every episode's reset and steps (request to answer, policy excluded);
 * - `policy`: every decision of the policy; `episode`: reset sent to last answer.
 */
export const COLLECT_PHASES = ['server', 'connect', 'first_reset', 'reset', 'step', 'policy', 'episode'] as const;
/** A timed phase of `collect`: one of `COLLECT_PHASES`. */
export type CollectPhase = (typeof COLLECT_PHASES)[number];

/** Percentiles of one phase, ms. */
export interface PhaseLatency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Latency samples per phase (ms), and their percentiles. */
export class PhaseTimings {
  private readonly samples = new Map<CollectPhase, number[]>();

  constructor(readonly now: () => number = () => performance.now()) {}

  add(phase: CollectPhase, ms: number): void {
    let list = this.samples.get(phase);
    if (!list) this.samples.set(phase, (list = []));
    list.push(ms);
  }

  /** Phases with samples, in `COLLECT_PHASES` order. */
  summary(): Partial<Record<CollectPhase, PhaseLatency>> {
    const result: Partial<Record<CollectPhase, PhaseLatency>> = {};
    for (const phase of COLLECT_PHASES) {
      const list = this.samples.get(phase);
      if (!list?.length) continue;
      const sorted = Float64Array.from(list).sort();
      const round = (ms: number) => Math.round(ms * 1000) / 1000;
      result[phase] = {
        count: sorted.length,
        p50: round(percentileOfSorted(sorted, 50)),
        p95: round(percentileOfSorted(sorted, 95)),
        p99: round(percentileOfSorted(sorted, 99)),
        max: round(sorted[sorted.length - 1]!),
      };
    }
    return result;
  }

  /** `source$` with the time from subscription to its first value added to `phase`. */
  timeFirst<T>(source$: Observable<T>, phase: CollectPhase): Observable<T> {
    return defer(() => {
      const started = this.now();
      let first = true;
      return source$.pipe(
        tap(() => {
          if (!first) return;
          first = false;
          this.add(phase, this.now() - started);
        }),
      );
    });
  }

  /** The pool source with its server starts (`server`) and session opens (`connect`) timed. */
  timeSource<S>(source: PoolSource<S>): PoolSource<S> {
    if (isObservable(source)) return this.timeFirst(source, 'connect');
    if (Array.isArray(source)) return source.map((s: Observable<S>) => this.timeFirst(s, 'connect'));
    const { server$, open } = source as Extract<PoolSource<S>, { kind: 'per-server' }>;
    return perServer(this.timeFirst(server$, 'server'), (endpoint$) => this.timeFirst(open(endpoint$), 'connect'));
  }
}
