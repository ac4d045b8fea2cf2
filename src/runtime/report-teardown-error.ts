import type { ErrorContext } from '../errors/index.js';

/** Called with an error that happened while stopping or removing what a runtime started. */
export type TeardownErrorHandler = (error: unknown, context: ErrorContext) => void;

/**
 * `process.emitWarning` for any thrown value. The message and name are passed as strings: an
 * Error from another realm (vm contexts, test runners) would make emitWarning itself throw.
 */
export function emitRuntimeWarning(error: unknown, code: string): void {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  try {
    process.emitWarning(typeof message === 'string' ? message : String(error), {
      type: typeof name === 'string' ? name : 'Error',
      code,
    });
  } catch {
    // Nothing sensible is left to do; teardown must not throw.
  }
}

/** Default `onTeardownError`: a process warning (code OPENENV_RX_TEARDOWN), never an unhandled rejection. */
const warnTeardownError: TeardownErrorHandler = (error) => emitRuntimeWarning(error, 'OPENENV_RX_TEARDOWN');

/** Calls the user's handler; a handler that throws falls back to the warning (teardown must not throw). */
export function reportTeardownError(handler: TeardownErrorHandler | undefined, error: unknown, context: ErrorContext): void {
  try {
    (handler ?? warnTeardownError)(error, context);
  } catch (handlerError) {
    warnTeardownError(handlerError, context);
  }
}
