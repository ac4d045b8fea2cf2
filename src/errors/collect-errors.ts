import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * `collect` cannot use its output directory: it already holds results and `resume` is off, its
 * `metadata.json` was written by a run with another seed or shard size (the episode ids or files
 * would not line up), a results line in the middle of a file is not JSON, another live collector
 * holds the directory's lock, or a write failed. `context.path` names the file.
 *
 * @example
 * collect(source, policy, { out: 'runs/a', episodes: 10, sessions: 2, maxSteps: 5 }).subscribe({ error: (e) => e.code === 'ERR_COLLECT_OUTPUT' && console.log(e.context.path) });
 */
export class CollectOutputError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_COLLECT_OUTPUT', context, options);
  }
}

/** One field of what defines a dataset, as `metadata.json` has it and as a resumed run asks for it. */
export interface DatasetDifference {
  field: string;
  previous: unknown;
  current: unknown;
}

/**
 * A resumed `collect` would write another dataset into the directory: another env, URL, image,
 * policy, seed, step limit, shard size or reset options than its `metadata.json` records.
 * `context.field`, `context.previous`, `context.current` name the first difference,
 * `context.differences` all of them. `forceResume` (`--force-resume`) mixes them anyway, except for
 * the seed and the shard size (episode ids and files would not line up: `forcible: false`).
 *
 * @example
 * const run = { out: 'runs/a', episodes: 2, sessions: 2, maxSteps: 5 };
 * await lastValueFrom(collect(source, policy, { ...run, dataset: { policy: 'v1' } }));
 * collect(source, policy, { ...run, episodes: 10, resume: true, dataset: { policy: 'v2' } }) // another policy's episodes
 *   .subscribe({ error: (e) => e.code === 'ERR_COLLECT_MISMATCH' && console.log(e.context.field, e.context.previous, e.context.current) }); // policy v1 v2
 */
export class CollectMismatchError extends OpenEnvError {
  constructor(
    readonly differences: DatasetDifference[],
    readonly forcible: boolean,
    path: string,
  ) {
    const first = differences[0]!;
    const listed = differences.map((d) => `${d.field}: ${shown(d.previous)} then, ${shown(d.current)} now`).join('; ');
    const remedy = forcible
      ? 'resume with forceResume (--force-resume) to mix them anyway, or choose another directory'
      : 'the episode ids or files would not line up, so this is never forced: choose another directory';
    super(`${path} holds another dataset (${listed}): ${remedy}`, 'ERR_COLLECT_MISMATCH', {
      path,
      field: first.field,
      previous: first.previous,
      current: first.current,
      differences,
      forcible,
    });
  }
}

const shown = (value: unknown): string => (value === undefined ? 'absent' : JSON.stringify(value));
