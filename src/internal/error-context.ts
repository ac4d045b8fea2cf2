import { OpenEnvError, type ErrorContext } from '../errors/openenv-error.js';

/** Adds what this layer knows to an `OpenEnvError` (never overwrites); other errors pass unchanged. */
export function withContext<E>(error: E, context: ErrorContext): E {
  if (error instanceof OpenEnvError) error.addContext(context);
  return error;
}

/**
 * True when `error` carries the stable `code` (compared by code, not `instanceof`, so that two
 * copies of the library in one process still agree).
 */
export function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** The message of anything thrown, for error messages that wrap it. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
