import type { EpisodeStats } from '../../operators/episode-stats.js';
import { summarize, type StatsSummary } from '../../operators/summarize.js';
import { returnsLine } from '../../report/sparkline.js';
import { formatNumber, renderTable } from '../format/table.js';
import { describeLosses, type SessionLossCounts } from './session-losses.js';

/** One finished episode, as `--json` and `--out` list it (a row to plot). */
export interface EpisodeRow {
  sessionIndex: number;
  episodeIndex: number;
  seed: number | null;
  episodeId: string;
  return: number;
  length: number;
  /** The env said `done`. */
  terminated: boolean;
  /** Cut by `--max-steps`. */
  truncated: boolean;
  /** From sending the reset to the last result, in ms. */
  wallMs: number;
  /** Only on an episode that failed (its session was lost): neither terminated nor truncated. */
  failed?: true;
  /** Why it failed (the `EpisodeFailedError` message); only on failed episodes. */
  error?: string;
}

/** How the run's sessions fared: capacity refusals while opening them, faults that lost them. */
export interface CapacityReport extends SessionLossCounts {
  /** Session attempts the server refused with CAPACITY_REACHED (each was retried or gave up). */
  refusals: number;
  /** Sessions that stopped retrying (their episodes went to the others). */
  gaveUp: number;
  /** Most sessions running at once. */
  maxRunning: number;
}

/** The rollout's outcome, as `--json` prints it. */
export interface RolloutReport {
  target: string;
  policy: string;
  /** Episodes asked for; `overall.episodes` says how many finished. */
  episodes: number;
  sessions: number;
  seed: number;
  steps: number;
  elapsedMs: number;
  stepsPerSecond: number;
  /** True when Ctrl-C (SIGINT) or SIGTERM stopped the run: the statistics cover the finished episodes only. */
  interrupted: boolean;
  /** The signal that stopped the run, when `interrupted`. */
  signal?: 'SIGINT' | 'SIGTERM';
  /**
   * True when the run stopped before every episode ran (`interrupted`, or a fatal `error`): the
   * statistics cover the episodes that ended before that, `episodes - overall.episodes` never ran.
   */
  partial: boolean;
  /** The fatal error that stopped the run (exit 1), as the CLI prints it on stderr; absent otherwise. */
  error?: { code: string | null; message: string };
  capacity: CapacityReport;
  overall: StatsSummary;
  perSession: Array<StatsSummary & { sessionIndex: number }>;
  perEpisode: EpisodeRow[];
  trajectories?: string;
}

/** Float noise off (0.30000000000000004 -> 0.3) while keeping every meaningful digit. */
function denoise(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(12)) : n;
}

export function episodeRow(s: EpisodeStats): EpisodeRow {
  return {
    sessionIndex: s.sessionIndex ?? 0,
    episodeIndex: s.episodeIndex,
    seed: s.seed ?? null,
    episodeId: s.episodeId,
    return: denoise(s.return),
    length: s.length,
    terminated: s.done,
    truncated: s.truncated,
    wallMs: Math.round(s.durationMs * 1000) / 1000,
    ...(s.error && { failed: true as const, error: s.error.message }),
  };
}

/** What the run measured; `buildReport` derives the rates, statistics and `partial`. */
export type ReportInput = Omit<RolloutReport, 'stepsPerSecond' | 'overall' | 'perSession' | 'perEpisode' | 'partial'> & { stats: readonly EpisodeStats[] };

export function buildReport(input: ReportInput): RolloutReport {
  const { stats, trajectories, ...rest } = input;
  const rows = stats.map(episodeRow).sort((a, b) => a.episodeIndex - b.episodeIndex);
  const bySession = new Map<number, EpisodeRow[]>();
  for (const row of rows) bySession.set(row.sessionIndex, [...(bySession.get(row.sessionIndex) ?? []), row]);
  const summary = (r: readonly EpisodeRow[]) =>
    denoiseSummary(summarize(r.map((x) => ({ return: x.return, length: x.length, done: x.terminated, truncated: x.truncated, ...(x.failed && { error: x.error }) }))));
  return {
    ...rest,
    partial: input.interrupted || input.error !== undefined,
    stepsPerSecond: input.elapsedMs > 0 ? Math.round((input.steps * 1000) / input.elapsedMs) : 0,
    overall: summary(rows),
    perSession: [...bySession.entries()].sort(([a], [b]) => a - b).map(([sessionIndex, r]) => ({ sessionIndex, ...summary(r) })),
    perEpisode: rows,
    ...(trajectories ? { trajectories } : {}),
  };
}

function denoiseSummary(s: StatsSummary): StatsSummary {
  const m = (x: StatsSummary['return']) => ({ mean: denoise(x.mean), std: denoise(x.std), min: denoise(x.min), max: denoise(x.max) });
  return { ...s, return: m(s.return), length: m(s.length) };
}

/** The terminal summary: a table per session plus an "all" row, then totals, refusals and interruption. */
export function renderReport(report: RolloutReport): string {
  const row = (label: string | number, s: StatsSummary) => [
    String(label),
    s.episodes,
    s.return.mean,
    s.return.std,
    s.return.min,
    s.return.max,
    s.length.mean,
    s.length.std,
    s.length.min,
    s.length.max,
    s.done,
    s.truncated,
  ];
  const table = renderTable(
    ['session', 'episodes', 'return mean', 'std', 'min', 'max', 'length mean', 'std', 'min', 'max', 'done', 'truncated'],
    [...report.perSession.map((s) => row(s.sessionIndex, s)), row('all', report.overall)],
  );
  const lines = [
    `${report.steps} steps in ${formatNumber(Math.round(report.elapsedMs / 10) / 100)} s (${report.stepsPerSecond} steps/s)${report.trajectories ? `; trajectories in ${report.trajectories}` : ''}`,
  ];
  const { refusals, gaveUp, maxRunning } = report.capacity;
  if (refusals > 0) {
    lines.push(
      `capacity: the server refused ${refusals} session attempt(s); at most ${maxRunning} of ${report.sessions} session(s) ran at once` +
        (gaveUp > 0 ? `; ${gaveUp} session(s) gave up waiting` : ''),
    );
  }
  if (report.overall.failed > 0 || report.capacity.lost > 0) {
    lines.push(
      `failures: ${report.overall.failed} episode(s) failed with their session (never replayed; left out of the return and length columns)` +
        (report.capacity.lost > 0 ? `; ${describeLosses(report.capacity)}` : ''),
    );
  }
  const stopped = partialLine(report);
  if (stopped) lines.push(stopped);
  const returns = returnsLine(report.perEpisode.filter((row) => !row.failed).map((row) => row.return));
  if (returns) lines.push(returns);
  const title = `${report.target}, policy ${report.policy}${report.interrupted ? ' (interrupted)' : report.error ? ' (failed)' : ''}`;
  return `\n${title}\n\n${report.overall.episodes > 0 ? table : '(no finished episodes)'}\n\n${lines.join('\n')}\n`;
}

/**
 * What a run that stopped early covers: `interrupted: 12 of 50 episodes finished before SIGINT
 * stopped the run (...)` or `failed: 12 of 50 episodes finished before the run failed (ERR_..., ...)`;
 * undefined for a run that ran every episode. Finished: ended done or truncated, not failed.
 */
function partialLine(report: RolloutReport): string | undefined {
  if (!report.partial) return undefined;
  const { overall, episodes } = report;
  const finished = `${overall.done + overall.truncated} of ${episodes} episodes finished`;
  const notRun = episodes - overall.episodes;
  const counts = [...(overall.failed > 0 ? [`${overall.failed} failed with their session`] : []), `${notRun} not run`].join(', ');
  if (report.interrupted) return `interrupted: ${finished} before ${report.signal ?? 'SIGINT'} stopped the run (${counts})`;
  return `failed: ${finished} before the run failed (${report.error?.code ?? 'an error'}; ${counts})`;
}
