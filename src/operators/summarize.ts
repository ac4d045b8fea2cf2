import type { EpisodeStats } from './episode-stats.js';

/** Population statistics of one quantity (NaN for an empty input). */
export interface Moments {
  mean: number;
  /** Population standard deviation (divides by n). */
  std: number;
  min: number;
  max: number;
}

/** What `summarize(stats)` returns: counts, and return/length statistics over the finished episodes. */
export interface StatsSummary {
  /** Every episode reported, failed ones included. */
  episodes: number;
  /** How many ended with the env's `done`, and how many were cut by `maxSteps`. */
  done: number;
  truncated: number;
  /** How many failed (`error` set: a lost session, an env that raised); they count in neither `done` nor `truncated`. */
  failed: number;
  /** Over the episodes that did not fail (a failed episode's return is partial). */
  return: Moments;
  length: Moments;
}

/**
 * Reduces per-episode statistics to a table row: count, and mean/std/min/max of return and
 * length over the episodes that did not fail. Pure; an empty input gives `episodes: 0` and NaN moments.
 *
 * @example
 * summarize([{ return: 1, length: 4, done: true, truncated: false }, { return: 3, length: 6, done: true, truncated: false }]);
 * // { episodes: 2, done: 2, truncated: 0, failed: 0, return: { mean: 2, std: 1, min: 1, max: 3 }, length: { mean: 5, std: 1, min: 4, max: 6 } }
 */
export function summarize(stats: readonly (Pick<EpisodeStats, 'return' | 'length' | 'done' | 'truncated'> & { error?: unknown })[]): StatsSummary {
  const ended = stats.filter((s) => s.error === undefined);
  return {
    episodes: stats.length,
    done: ended.filter((s) => s.done).length,
    truncated: ended.filter((s) => s.truncated).length,
    failed: stats.length - ended.length,
    return: moments(ended.map((s) => s.return)),
    length: moments(ended.map((s) => s.length)),
  };
}

function moments(values: number[]): Moments {
  if (values.length === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN };
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
  // reduce, not Math.min(...values): spreading a very long array overflows the call stack.
  const min = values.reduce((a, b) => Math.min(a, b), Infinity);
  const max = values.reduce((a, b) => Math.max(a, b), -Infinity);
  return { mean, std: Math.sqrt(variance), min, max };
}
