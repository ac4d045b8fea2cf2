import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * A positional argument of a runtime factory is unusable (an empty image name or command, args
 * that are not strings). Emitted on subscribe, never thrown at call time; nothing was started.
 *
 * @example
 * dockerEndpoint('').subscribe({
 *   error: (e) => e instanceof InvalidArgumentError && console.log(e.argument, e.expected), // image a non-empty image name
 * });
 */
export class InvalidArgumentError extends OpenEnvError {
  constructor(
    /** The argument's name: `image`, `command`, `args`. */
    readonly argument: string,
    readonly value: unknown,
    /** What was expected, e.g. `a non-empty image name`. */
    readonly expected: string,
    context: ErrorContext = {},
  ) {
    let shown: string;
    try {
      shown = JSON.stringify(value) ?? String(value);
    } catch {
      shown = String(value);
    }
    super(`Invalid argument ${argument}: expected ${expected}, got ${shown}`, 'ERR_INVALID_ARGUMENT', context);
  }
}
