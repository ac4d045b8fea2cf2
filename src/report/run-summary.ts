/** Step-latency percentiles of one group (ms), from an HdrHistogram (within 0.1%). */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One session (a `rollout --out` file) or one server (a `collect` directory) of a run. */
export interface GroupSummary {
  /** `session 0`, `session 1`, ... or the server's URL. */
  name: string;
  /** Episodes finished here (failed ones excluded). */
  episodes: number;
  failed: number;
  steps: number;
  /** First episode start to last episode end here, ms (0 when unknown). */
  spanMs: number;
  /** `steps` over `spanMs` (0 when unknown). */
  stepsPerSecond: number;
  episodesPerSecond: number;
  /** Per-step request latency (policy time excluded); null when no step was timed. */
  stepLatency: LatencySummary | null;
}

/** One failed episode, placed on the run's timeline. */
export interface FailurePoint {
  /** Seconds since the run's first episode started; null when the input has no clock. */
  atSeconds: number | null;
  episodeId: string;
  /** The error's `ERR_...` code (`other` for an error without one). */
  code: string;
  message: string;
  group: string | null;
}

/**
 * Return per episode, as the page plots it: every episode when the run has at most `maxPoints`
 * finished episodes, else means over `bucket` consecutive episodes (`shown` points for `total`).
 */
export interface ReturnSeries {
  total: number;
  shown: number;
  /** Episodes per point (1: not downsampled). */
  bucket: number;
  /** Episodes of the trailing moving average (computed on every episode, before downsampling). */
  window: number;
  /** Mean episode index of each point. */
  index: number[];
  /** Mean return of each point. */
  value: number[];
  /** Trailing moving average of the return at each point's last episode. */
  movingAverage: number[];
  /** Trailing moving success rate (0..1) at each point's last episode. */
  successRate: number[];
}

/** Episode lengths counted in bins `[start[i], start[i] + width)`. */
export interface LengthHistogram {
  start: number[];
  width: number;
  count: number[];
}

/** Episodes finished per second, in equal time buckets from the run's start. */
export interface ThroughputSeries {
  /** Bucket starts, seconds since the run's start. */
  atSeconds: number[];
  bucketSeconds: number;
  episodesPerSecond: number[];
}

/**
 * What `openenv-rx report` knows of one run (a `collect` directory or a `rollout --out` file),
 * read streaming and reduced to what the page shows: its size does not grow with the run's past
 * a few thousand points.
 */
export interface RunSummary {
  label: string;
  path: string;
  kind: 'collect' | 'rollout';
  /** Episodes that finished (terminated or truncated); failed ones are counted apart. */
  episodes: number;
  failed: number;
  /** The env said done. */
  terminated: number;
  /** Cut by the step limit. */
  truncated: number;
  /** Terminated with a last reward above 0 (reaching the goal, in the built-in envs); without per-step rewards, a return above 0. */
  succeeded: number;
  steps: number;
  meanReturn: number | null;
  minReturn: number | null;
  maxReturn: number | null;
  meanLength: number | null;
  /** First episode start to last episode end, ms; null when the input has no clock. */
  durationMs: number | null;
  episodesPerSecond: number | null;
  stepsPerSecond: number | null;
  returns: ReturnSeries;
  lengths: LengthHistogram;
  throughput: ThroughputSeries;
  groups: GroupSummary[];
  failures: { total: number; byCode: Record<string, number>; shown: FailurePoint[] };
  /** Torn last lines skipped (a writer killed mid-line), and other things the reader noticed. */
  notes: string[];
}
