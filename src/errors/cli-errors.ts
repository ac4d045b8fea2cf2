import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * A command-line flag the `openenv-rx` command cannot use as given: a flag without the one it
 * needs (`-e`, `--pull` or `--swarm` without `--image`, a placement flag without `--swarm`), or
 * a malformed `-H`/`-e` pair. `flag` names it; values are never echoed (they are often secrets).
 * Nothing ran.
 *
 * @example
 * const error = new CliUsageError('--pull', '--pull pulls the --image; there is no --image');
 * console.log(error.code, error.flag); // ERR_CLI_USAGE --pull
 */
export class CliUsageError extends OpenEnvError {
  constructor(
    /** The flag at fault, as typed (`--pull`, `-H`). */
    readonly flag: string,
    message: string,
    context: ErrorContext = {},
  ) {
    super(message, 'ERR_CLI_USAGE', context);
  }
}

/**
 * A module the user named on the command line (`--env ./env.js`, `--policy ./policy.js`,
 * `serve ./env.js`) that cannot be used: no such file, a TypeScript file Node cannot import, a
 * module that throws while loading, or one without the export the flag needs. `cause` holds
 * what the import threw.
 *
 * @example
 * const error = new UserModuleError('--policy', './agent.js', '--policy ./agent.js: no such file');
 * console.log(error.code, error.flag, error.path); // ERR_USER_MODULE --policy ./agent.js
 */
export class UserModuleError extends OpenEnvError {
  constructor(
    /** The flag (or command) that named the module. */
    readonly flag: string,
    /** The path as the user gave it. */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, 'ERR_USER_MODULE', {}, options);
  }
}
