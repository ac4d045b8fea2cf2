import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * `collect` cannot use its output directory: it already holds results and `resume` is off, its
 * `metadata.json` was written by a run with another seed or shard size (the episode ids or files
 * would not line up), a results line in the middle of a file is not JSON, another live collector
 * holds the directory's lock, or a write failed. `context.path` names the file.
 *
 * @example
 * collect(source, policy, { out: 'runs/a', episodes: 10 }).subscribe({ error: (e) => e.code === 'ERR_COLLECT_OUTPUT' && console.log(e.context.path) });
 */
export class CollectOutputError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_COLLECT_OUTPUT', context, options);
  }
}
