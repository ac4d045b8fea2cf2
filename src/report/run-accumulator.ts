import type { Histogram } from 'hdr-histogram-js';
import type { HistogramBuilder } from '../internal/lazy-hdr-histogram.js';
import { GrowableArray } from './growable-array.js';
import type { FailurePoint, GroupSummary, LengthHistogram, ReturnSeries, RunSummary, ThroughputSeries } from './run-summary.js';

/** One finished episode as a reader found it. */
export interface EpisodeSample {
  /** The episode's index in the run (its plot position). */
  index: number;
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
  /** The last step's reward (null: none given); undefined when the input does not say (then the return stands in). */
  finalReward?: number | null | undefined;
  /** Epoch ms, when the input has a clock. */
  startMs?: number | undefined;
  endMs?: number | undefined;
  /** The session or server that ran it. */
  group?: string | undefined;
}

/** One failed episode as a reader found it. */
export interface FailureSample {
  atMs?: number | undefined;
  episodeId: string;
  code: string;
  message: string;
  group?: string | undefined;
  steps?: number | undefined;
}

/** How the page's series are reduced. */
export interface SummaryLimits {
  /** Most points per run on the return charts (more episodes: bucket means). Default 2000. */
  maxPoints?: number;
  /** Moving-average window in episodes. Default: a tenth of the run, between 1 and 100. */
  window?: number;
  /** Most failures listed one by one (all are counted). Default 500. */
  maxFailures?: number;
}

const TERMINATED = 1;
const TRUNCATED = 2;
const SUCCEEDED = 4;
const LENGTH_BINS = 60;
const THROUGHPUT_BUCKETS = 60;

interface GroupState {
  episodes: number;
  failed: number;
  steps: number;
  firstMs: number;
  lastMs: number;
  latency: Histogram | undefined;
}

/**
 * Folds a run's episodes, step latencies and failures, as a reader streams them, into a
 * `RunSummary`. Per episode it keeps five numbers in typed arrays (index, return, length, flags,
 * end time); step latencies go to one HdrHistogram per group, so memory does not grow with steps.
 */
export class RunAccumulator {
  private readonly index = new GrowableArray();
  private readonly returns = new GrowableArray();
  private readonly lengths = new GrowableArray();
  private readonly flags = new GrowableArray();
  private readonly ends = new GrowableArray();
  private readonly groups = new Map<string, GroupState>();
  private readonly failures: FailureSample[] = [];
  private readonly failureCodes: Record<string, number> = {};
  private failed = 0;
  private steps = 0;
  private firstMs = Infinity;
  private lastMs = -Infinity;
  readonly notes: string[] = [];

  constructor(private readonly buildHistogram: HistogramBuilder) {}

  addEpisode(e: EpisodeSample): void {
    this.index.push(e.index);
    this.returns.push(e.return);
    this.lengths.push(e.length);
    this.flags.push((e.terminated ? TERMINATED : 0) | (e.truncated ? TRUNCATED : 0) | (succeeded(e) ? SUCCEEDED : 0));
    this.ends.push(e.endMs ?? Number.NaN);
    this.steps += e.length;
    this.clock(e.startMs ?? e.endMs, e.endMs);
    const group = this.group(e.group);
    if (group) {
      group.episodes++;
      group.steps += e.length;
      if (e.startMs !== undefined) group.firstMs = Math.min(group.firstMs, e.startMs);
      if (e.endMs !== undefined) group.lastMs = Math.max(group.lastMs, e.endMs);
    }
  }

  /** A step's request latency (ms) in `group`. */
  addStepLatency(group: string | undefined, ms: number): void {
    const state = this.group(group);
    if (!state || !Number.isFinite(ms)) return;
    state.latency ??= this.buildHistogram({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1 });
    state.latency.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  addFailure(f: FailureSample, maxFailures = 500): void {
    this.failed++;
    this.failureCodes[f.code] = (this.failureCodes[f.code] ?? 0) + 1;
    if (this.failures.length < maxFailures) this.failures.push(f);
    this.steps += f.steps ?? 0;
    this.clock(f.atMs, f.atMs);
    const group = this.group(f.group);
    if (group) {
      group.failed++;
      group.steps += f.steps ?? 0;
    }
  }

  /** The summary; `label`, `path` and `kind` say what was read. */
  finish(meta: Pick<RunSummary, 'label' | 'path' | 'kind'>, limits: SummaryLimits = {}): RunSummary {
    const n = this.index.length;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.index.at(a) - this.index.at(b));
    let terminated = 0;
    let truncated = 0;
    let succeeded = 0;
    let sumReturn = 0;
    let sumLength = 0;
    let minReturn = Infinity;
    let maxReturn = -Infinity;
    for (let i = 0; i < n; i++) {
      const f = this.flags.at(i);
      if (f & TERMINATED) terminated++;
      if (f & TRUNCATED) truncated++;
      if (f & SUCCEEDED) succeeded++;
      const r = this.returns.at(i);
      sumReturn += r;
      sumLength += this.lengths.at(i);
      minReturn = Math.min(minReturn, r);
      maxReturn = Math.max(maxReturn, r);
    }
    const hasClock = Number.isFinite(this.firstMs) && this.lastMs > this.firstMs;
    const durationMs = hasClock ? this.lastMs - this.firstMs : null;
    return {
      ...meta,
      episodes: n,
      failed: this.failed,
      terminated,
      truncated,
      succeeded,
      steps: this.steps,
      meanReturn: n ? sumReturn / n : null,
      minReturn: n ? minReturn : null,
      maxReturn: n ? maxReturn : null,
      meanLength: n ? sumLength / n : null,
      durationMs,
      episodesPerSecond: durationMs ? (n * 1000) / durationMs : null,
      stepsPerSecond: durationMs ? (this.steps * 1000) / durationMs : null,
      returns: this.returnSeries(order, limits),
      lengths: this.lengthHistogram(),
      throughput: this.throughput(),
      groups: [...this.groups.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([name, g]) => groupSummary(name, g)),
      failures: {
        total: this.failed,
        byCode: { ...this.failureCodes },
        shown: this.failures.map((f): FailurePoint => ({
          atSeconds: f.atMs !== undefined && Number.isFinite(this.firstMs) ? round3((f.atMs - this.firstMs) / 1000) : null,
          episodeId: f.episodeId,
          code: f.code,
          message: f.message,
          group: f.group ?? null,
        })),
      },
      notes: [...this.notes],
    };
  }

  private clock(start: number | undefined, end: number | undefined): void {
    if (start !== undefined && Number.isFinite(start)) this.firstMs = Math.min(this.firstMs, start);
    if (end !== undefined && Number.isFinite(end)) this.lastMs = Math.max(this.lastMs, end);
  }

  private group(name: string | undefined): GroupState | undefined {
    if (name === undefined) return undefined;
    let state = this.groups.get(name);
    if (!state) this.groups.set(name, (state = { episodes: 0, failed: 0, steps: 0, firstMs: Infinity, lastMs: -Infinity, latency: undefined }));
    return state;
  }

  private returnSeries(order: number[], limits: SummaryLimits): ReturnSeries {
    const n = order.length;
    const maxPoints = Math.max(1, limits.maxPoints ?? 2000);
    const window = Math.max(1, limits.window ?? Math.min(100, Math.ceil(n / 10)));
    const bucket = Math.max(1, Math.ceil(n / maxPoints));
    const series: ReturnSeries = { total: n, shown: 0, bucket, window, index: [], value: [], movingAverage: [], successRate: [] };
    // Trailing sums over `window` episodes in index order, read at each bucket's last episode.
    let windowReturn = 0;
    let windowSuccess = 0;
    let bucketIndex = 0;
    let bucketReturn = 0;
    let inBucket = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const r = this.returns.at(i);
      windowReturn += r;
      windowSuccess += this.flags.at(i) & SUCCEEDED ? 1 : 0;
      if (k >= window) {
        const out = order[k - window]!;
        windowReturn -= this.returns.at(out);
        windowSuccess -= this.flags.at(out) & SUCCEEDED ? 1 : 0;
      }
      bucketIndex += this.index.at(i);
      bucketReturn += r;
      inBucket++;
      if (inBucket === bucket || k === n - 1) {
        const span = Math.min(window, k + 1);
        series.index.push(round3(bucketIndex / inBucket));
        series.value.push(bucketReturn / inBucket);
        series.movingAverage.push(windowReturn / span);
        series.successRate.push(windowSuccess / span);
        bucketIndex = bucketReturn = inBucket = 0;
      }
    }
    series.shown = series.index.length;
    return series;
  }

  private lengthHistogram(): LengthHistogram {
    const n = this.lengths.length;
    if (n === 0) return { start: [], width: 1, count: [] };
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      min = Math.min(min, this.lengths.at(i));
      max = Math.max(max, this.lengths.at(i));
    }
    const width = Math.max(1, Math.ceil((max - min + 1) / LENGTH_BINS));
    const first = Math.floor(min / width) * width;
    const bins = Math.floor((max - first) / width) + 1;
    const count = new Array<number>(bins).fill(0);
    for (let i = 0; i < n; i++) count[Math.floor((this.lengths.at(i) - first) / width)]!++;
    return { start: count.map((_, b) => first + b * width), width, count };
  }

  private throughput(): ThroughputSeries {
    const ends: number[] = [];
    for (let i = 0; i < this.ends.length; i++) if (Number.isFinite(this.ends.at(i))) ends.push(this.ends.at(i));
    if (!ends.length || !(this.lastMs > this.firstMs)) return { atSeconds: [], bucketSeconds: 0, episodesPerSecond: [] };
    const spanSeconds = (this.lastMs - this.firstMs) / 1000;
    const buckets = Math.max(1, Math.min(THROUGHPUT_BUCKETS, ends.length));
    const bucketSeconds = spanSeconds / buckets;
    const count = new Array<number>(buckets).fill(0);
    for (const end of ends) count[Math.min(buckets - 1, Math.floor((end - this.firstMs) / 1000 / bucketSeconds))]!++;
    return { atSeconds: count.map((_, b) => round6(b * bucketSeconds)), bucketSeconds: round6(bucketSeconds), episodesPerSecond: count.map((c) => round3(c / bucketSeconds)) };
  }
}

function groupSummary(name: string, g: GroupState): GroupSummary {
  const spanMs = g.lastMs > g.firstMs ? g.lastMs - g.firstMs : 0;
  const ms = (us: number) => round3(us / 1000);
  return {
    name,
    episodes: g.episodes,
    failed: g.failed,
    steps: g.steps,
    spanMs: round3(spanMs),
    stepsPerSecond: spanMs ? round3((g.steps * 1000) / spanMs) : 0,
    episodesPerSecond: spanMs ? round3((g.episodes * 1000) / spanMs) : 0,
    stepLatency:
      g.latency && g.latency.totalCount > 0
        ? {
            count: g.latency.totalCount,
            mean: ms(g.latency.mean),
            p50: ms(g.latency.getValueAtPercentile(50)),
            p95: ms(g.latency.getValueAtPercentile(95)),
            p99: ms(g.latency.getValueAtPercentile(99)),
            max: ms(g.latency.maxValue),
          }
        : null,
  };
}

/** Success: the env said done and its last reward was above 0 (reaching a goal, in the built-in envs; a fallen cart pole or a hole gives 0). */
const succeeded = (e: EpisodeSample): boolean => e.terminated && (e.finalReward === undefined ? e.return : (e.finalReward ?? 0)) > 0;

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
