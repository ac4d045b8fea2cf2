import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/** `serve()` could not start: bad options or the port could not be bound (`cause` holds the system error). */
export class ServeError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_SERVE', context, options);
  }
}

/** No built-in env has this name. `known` lists the valid names. */
export class UnknownEnvError extends OpenEnvError {
  constructor(
    readonly requested: string,
    readonly known: readonly string[],
    context: ErrorContext = {},
  ) {
    super(`Unknown env "${requested}"; valid names: ${known.join(', ')}`, 'ERR_UNKNOWN_ENV', context);
  }
}

/** A request body exceeded `maxBodyBytes` (answered with 413). */
export class PayloadTooLargeError extends OpenEnvError {
  constructor(
    readonly limitBytes: number,
    context: ErrorContext = {},
  ) {
    super(`Request body exceeds ${limitBytes} bytes`, 'ERR_PAYLOAD_TOO_LARGE', context);
  }
}
