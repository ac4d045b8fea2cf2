import type { CollectSummary } from '../../fleet/collect.js';
import { returnsLine, type SparklineSampler } from '../../report/sparkline.js';
import { formatNumber, renderTable } from '../format/table.js';

/**
 * The summary as the terminal shows it: counts, failures by code, a sparkline of `returns` (this
 * run's recorded episodes, in the order they ended), files, per-phase latency percentiles, and how
 * to go on. `errorCode`: the code of the error that stopped a failed run (printed after the summary).
 */
export function renderCollectSummary(summary: CollectSummary, target: string, returns?: SparklineSampler, errorCode?: string | null): string {
  const failures = Object.entries(summary.failures)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const sparkline = returns && returnsLine(returns, ', in the order they ended');
  const mean = Number.isNaN(summary.meanReturn) ? '-' : formatNumber(Number(summary.meanReturn.toPrecision(6)));
  const lines = [
    `collect: ${target} -> ${summary.out} (run ${summary.run}, ${summary.status})`,
    `  planned ${summary.planned}: recorded ${summary.recorded} now + ${summary.alreadyRecorded} before, failed ${summary.failed}${failures ? ` (${failures})` : ''}, not run ${summary.notRun}`,
    `  ${summary.steps} steps, mean return ${mean}, ${summary.episodesPerSecond} episodes/s in ${(summary.elapsedMs / 1000).toFixed(1)} s`,
    ...(sparkline ? [`  ${sparkline}`] : []),
    summary.removed
      ? `  nothing recorded: what this run created in ${summary.out} was removed (a plain rerun starts afresh)`
      : `  files: ${[...summary.files, 'failures.jsonl', 'metadata.json'].join(', ')}`,
  ];
  if (summary.repaired.length) lines.push(`  repaired: ${summary.repaired.map((r) => `${r.file} (${r.bytes} torn bytes cut)`).join(', ')}`);
  if (summary.pool) {
    const p = summary.pool;
    lines.push(`  pool: ${p.started} session(s) started on ${p.servers.length} server(s), ${p.refusals} refusal(s) absorbed, ${p.failed} failed and replaced`);
  }
  const phases = Object.entries(summary.latency);
  if (phases.length) {
    lines.push('', renderTable(['latency ms', 'count', 'p50', 'p95', 'p99', 'max'], phases.map(([phase, l]) => [phase, l.count, l.p50, l.p95, l.p99, l.max])));
  }
  if (summary.status === 'failed' && summary.notRun + summary.failed > 0 && !summary.removed) {
    // What a failed run left is a dataset to continue, not to start again: say so in one line.
    const retries = summary.failed > 0 ? ` and retries the ${summary.failed} failed` : '';
    lines.push('', `  the run failed (${errorCode ?? 'its error'}, printed below): once its cause is fixed, the same command with --resume runs the ${summary.notRun} episode(s) not run${retries}.`);
  } else if (summary.notRun > 0) lines.push('', `  ${summary.notRun} episode(s) not run: --resume runs them (and retries the failed ones).`);
  else if (summary.failed > 0) lines.push('', `  --resume retries the ${summary.failed} failed episode(s) (see failures.jsonl).`);
  return `${lines.join('\n')}\n`;
}
