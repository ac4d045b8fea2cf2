import { writeFile } from 'node:fs/promises';
import { ReportOutputError } from '../errors/report-errors.js';
import { readRun, type ReadRunOptions } from './read-run.js';
import { renderReportHtml } from './render-report-html.js';
import type { RunSummary } from './run-summary.js';

/** Options of `writeReport`. */
export interface WriteReportOptions extends Omit<ReadRunOptions, 'label'> {
  /** The page's file. */
  out: string;
  /** A label per input, in order (missing ones: the file's or directory's name). */
  labels?: readonly string[];
  title?: string;
}

/**
 * Reads every input (one after the other, streaming) and writes one self-contained page comparing
 * them. Resolves with the summaries and the page's size in bytes.
 *
 * @example
 * const { runs, bytes } = await writeReport(['runs/a', 'steps.jsonl'], { out: 'report.html' });
 */
export async function writeReport(paths: readonly string[], options: WriteReportOptions): Promise<{ runs: RunSummary[]; bytes: number }> {
  const runs: RunSummary[] = [];
  for (const [i, path] of paths.entries()) {
    const label = options.labels?.[i];
    runs.push(await readRun(path, { ...options, ...(label !== undefined && { label }) }));
  }
  dedupeLabels(runs);
  const html = renderReportHtml(runs, { ...(options.title !== undefined && { title: options.title }) });
  try {
    await writeFile(options.out, html);
  } catch (cause) {
    throw new ReportOutputError(`Cannot write ${options.out}: ${(cause as Error).message}`, { path: options.out }, { cause });
  }
  return { runs, bytes: Buffer.byteLength(html) };
}

/** Two runs named alike (`runs/a/grid`, `runs/b/grid`) are told apart by their paths. */
function dedupeLabels(runs: RunSummary[]): void {
  const seen = new Map<string, number>();
  for (const run of runs) seen.set(run.label, (seen.get(run.label) ?? 0) + 1);
  for (const run of runs) if (seen.get(run.label)! > 1) run.label = run.path;
}
