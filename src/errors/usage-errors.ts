import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/** The user's policy threw, rejected or completed without an action. `cause` holds what it threw. */
export class PolicyError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_POLICY', context, options);
  }
}

/** The session was used wrongly: a step before any reset, a call after it closed. */
export class SessionStateError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, 'ERR_SESSION_STATE', context);
  }
}

/**
 * An option passed to an episode loop or a rollout operator is out of range (a negative
 * `maxSteps`, `sessions: 0`, a policy that is not a function). Nothing was sent.
 *
 * @example
 * rollouts(session$, policy, { sessions: 0, episodes: 4 }).subscribe({
 *   error: (e) => e instanceof InvalidOptionError && console.log(e.option, e.value), // sessions 0
 * });
 */
export class InvalidOptionError extends OpenEnvError {
  constructor(
    /** The option's name, e.g. `maxSteps` or `retryOnCapacity.delayMs`. */
    readonly option: string,
    readonly value: unknown,
    /** What was expected, e.g. `an integer >= 1`. */
    readonly expected: string,
    context: ErrorContext = {},
  ) {
    super(`Invalid option ${option}: expected ${expected}, got ${describe(value)}`, 'ERR_INVALID_OPTION', context);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
