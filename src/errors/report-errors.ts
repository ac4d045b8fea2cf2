import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * `openenv-rx report` cannot read one of its inputs: the path does not exist, is neither a
 * `collect` directory (results files or `metadata.json`) nor a `rollout --out` JSONL file, or a
 * line in it is not the JSON it should be. `context.path` names the file, `context.line` the line
 * (1-based) when one is at fault. A torn last line (what a killed writer leaves) is skipped, not refused.
 *
 * @example
 * // openenv-rx report runs/missing  ->  ERR_REPORT_INPUT: Cannot read runs/missing: ENOENT: no such file or directory, ...
 */
export class ReportInputError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_REPORT_INPUT', context, options);
  }
}

/**
 * `openenv-rx report` cannot write its page (`-o`): a missing parent directory, no permission, a
 * full disk. `context.path` names the file.
 *
 * @example
 * // openenv-rx report runs/a -o /proc/report.html  ->  ERR_REPORT_OUTPUT Cannot write /proc/report.html: ...
 */
export class ReportOutputError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_REPORT_OUTPUT', context, options);
  }
}
