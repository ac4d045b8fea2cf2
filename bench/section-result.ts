/** Sizes of one bench run: `--smoke` shrinks everything so CI can run every section in seconds. */
export interface BenchConfig {
  smoke: boolean;
  /** Interleaved rounds per comparison (the median is taken over them). */
  rounds: number;
  /** Steps per batch, WS sections. */
  wsSteps: number;
  /** Requests per batch, HTTP section. */
  httpSteps: number;
  /** Steps per batch, all sessions together, parallel and server sections. */
  parallelSteps: number;
  /** Interleaved rounds per level, server section. */
  parallelRounds: number;
  /**
   * Interleaved rounds per N, parallel and vector sections: their ratios (≥ 0.9 wanted) sit close
   * to their targets, so they take more rounds for a median that a neighbour's load moves less.
   */
  fleetRounds: number;
  /** Target duration of one batch in the parallel and vector sections (their sizes are calibrated to it); 0 keeps the minimum sizes. */
  fleetBatchMs: number;
  /** Container starts per contender. */
  containerRounds: number;
  /** Steps of the memory section's single episode. */
  memorySteps: number;
}

export const FULL: BenchConfig = {
  smoke: false,
  rounds: 15,
  wsSteps: 2000,
  httpSteps: 800,
  parallelSteps: 4000,
  parallelRounds: 5,
  fleetRounds: 24,
  fleetBatchMs: 400,
  containerRounds: 5,
  memorySteps: 100_000,
};

export const SMOKE: BenchConfig = {
  smoke: true,
  rounds: 2,
  wsSteps: 100,
  httpSteps: 50,
  parallelSteps: 64,
  parallelRounds: 1,
  fleetRounds: 1,
  fleetBatchMs: 0,
  containerRounds: 1,
  memorySteps: 2000,
};

/** One row of a section's table: column name → value (numbers are rounded when printed). */
export type Row = Record<string, string | number | boolean | null>;

/** What every section returns; `run.ts` writes it to JSON and renders it to markdown. */
export interface SectionResult {
  id: string;
  title: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped or how it failed. */
  reason?: string;
  /** What the headline ratio compares, in words. */
  baseline?: string;
  /** The headline figure: subject / baseline (time, or memory against its budget). */
  ratio?: number;
  /** The ratio must be at most this. */
  target?: number;
  met?: boolean;
  rows: Row[];
  notes: string[];
  durationMs?: number;
}

/** A section that could not run or broke: recorded, never thrown (a bench, not a test). */
export function notRun(id: string, title: string, status: 'skipped' | 'failed', reason: string): SectionResult {
  return { id, title, status, reason, rows: [], notes: [] };
}
