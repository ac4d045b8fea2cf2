import type { Histogram } from 'hdr-histogram-js';
import { defer, isObservable, tap, type Observable } from 'rxjs';
import type { HistogramBuilder } from '../internal/lazy-hdr-histogram.js';
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
export type CollectPhase = (typeof COLLECT_PHASES)[number];

/** Percentiles of one phase, ms. */
export interface PhaseLatency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Latency per phase (ms) in HdrHistograms (hdr-histogram-js: microseconds, 3 significant digits,
 * so percentiles are within 0.1%): memory stays the same however long the run, where a list of
 * samples would grow by every step.
 */
export class PhaseTimings {
  private readonly histograms = new Map<CollectPhase, Histogram>();

  constructor(
    private readonly build: HistogramBuilder,
    readonly now: () => number = () => performance.now(),
  ) {}

  add(phase: CollectPhase, ms: number): void {
    let histogram = this.histograms.get(phase);
    if (!histogram) this.histograms.set(phase, (histogram = this.build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1 })));
    histogram.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  /** Phases with samples, in `COLLECT_PHASES` order. */
  summary(): Partial<Record<CollectPhase, PhaseLatency>> {
    const result: Partial<Record<CollectPhase, PhaseLatency>> = {};
    const ms = (us: number) => Math.round(us) / 1000;
    for (const phase of COLLECT_PHASES) {
      const histogram = this.histograms.get(phase);
      if (!histogram || histogram.totalCount === 0) continue;
      // A percentile is its bucket's highest value: never shown above the largest sample.
      const max = histogram.maxValue;
      const at = (p: number) => ms(Math.min(histogram.getValueAtPercentile(p), max));
      result[phase] = { count: histogram.totalCount, p50: at(50), p95: at(95), p99: at(99), max: ms(max) };
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
