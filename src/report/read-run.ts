import { statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { ReportInputError } from '../errors/report-errors.js';
import { loadHistogramBuilder } from '../internal/lazy-hdr-histogram.js';
import { readCollectDir } from './read-collect-dir.js';
import { readRolloutFile } from './read-rollout-file.js';
import { RunAccumulator, type SummaryLimits } from './run-accumulator.js';
import type { RunSummary } from './run-summary.js';

/** Options of `readRun`. */
export interface ReadRunOptions extends SummaryLimits {
  /** The run's name on the page (default: the directory's or file's name). */
  label?: string;
}

/**
 * Reads one run, streaming, into a `RunSummary`: a directory is a `collect` output (results files,
 * `failures.jsonl`, `metadata.json`), a file is a `rollout --out` JSONL. A missing or unreadable
 * path, or a line that is not what the format has there, rejects with a `ReportInputError`.
 *
 * @example
 * const run = await readRun('runs/grid');
 * console.log(run.episodes, run.meanReturn, run.returns.shown);
 */
export async function readRun(path: string, options: ReadRunOptions = {}): Promise<RunSummary> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (cause) {
    throw new ReportInputError(`Cannot read ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
  const into = new RunAccumulator(await loadHistogramBuilder());
  if (isDirectory) await readCollectDir(path, into);
  else await readRolloutFile(path, into);
  const name = basename(path.replace(/[/\\]+$/, ''));
  const label = options.label ?? (isDirectory ? name : basename(name, extname(name)));
  return into.finish({ label, path, kind: isDirectory ? 'collect' : 'rollout' }, options);
}
