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
 * An option or argument is out of range or missing (a negative `maxSteps`, `sessions: 0`, a
 * policy that is not a function, an empty image name or command, a `fakeTransport` without an
 * answer for the request made). `option` names it. Nothing was sent.
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

/**
 * A server URL that cannot be used: not a URL, a scheme other than http(s)/ws(s), credentials
 * (`user:pass@`) or a query (signed tokens), or a web page that is not the server (a Hugging Face
 * Space's page instead of its `*.hf.space` app). A usage error: `retryConnect` never retries it.
 * The message shows the URL with credentials and query replaced by `***`, and says what to do.
 *
 * @example
 * connectUrl('http://me:secret@127.0.0.1:8000').subscribe({
 *   error: (e) => console.log(e.code, e.message), // ERR_INVALID_URL Invalid server URL "http://***@127.0.0.1:8000/": ...
 * });
 */
export class InvalidUrlError extends OpenEnvError {
  constructor(
    /** The URL as shown in the message: credentials and query replaced by `***`. */
    readonly shown: string,
    /** What is wrong and what to do instead. */
    readonly reason: string,
    context: ErrorContext = {},
  ) {
    super(`Invalid server URL ${shown}: ${reason}`, 'ERR_INVALID_URL', context);
  }
}
