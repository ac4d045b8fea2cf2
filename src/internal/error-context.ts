import type { ErrorCode } from '../errors/error-codes.js';
import { OpenEnvError, type ErrorContext } from '../errors/openenv-error.js';

/**
 * What this layer knows, added to an `OpenEnvError` (never overwriting): returns the error to
 * pass on, a copy when anything was added (see `OpenEnvError.addContext`: the original may be
 * shared by other subscribers). Other errors pass unchanged.
 */
export function withContext<E>(error: E, context: ErrorContext): E {
  return error instanceof OpenEnvError ? (error.addContext(context) as E) : error;
}

/**
 * True when `error` carries the stable `code` (compared by code, not `instanceof`, so that two
 * copies of the library in one process still agree).
 */
export function hasCode(error: unknown, code: ErrorCode): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** The message of anything thrown, for error messages that wrap it. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
