import type { z } from 'zod';
import { issuePaths, ProtocolError, type ErrorContext } from '../errors/index.js';
import { RAW_LIMIT } from './http-errors.js';

/** A body that is not JSON → `ProtocolError` keeping the start of the raw text. */
export function notJsonError(what: string, raw: string, context: ErrorContext, cause: unknown): ProtocolError {
  return new ProtocolError(`${what} is not JSON`, raw.slice(0, RAW_LIMIT), context, { cause });
}

/** A JSON body of the wrong shape → `ProtocolError` naming the offending fields. */
export function shapeError(what: string, error: z.ZodError, raw: string, context: ErrorContext): ProtocolError {
  const fields = issuePaths(error.issues).join(', ');
  return new ProtocolError(`${what} has an unexpected shape (${fields})`, raw.slice(0, RAW_LIMIT), context, { cause: error });
}

/**
 * The boundary check of an HTTP body: JSON, then `schema.safeParse`. Errors are returned, not thrown.
 * `fast`, when given, accepts the common shape by hand first (it must accept nothing the schema
 * rejects, and return what the schema would); whatever it declines goes through zod.
 */
export function decodeBody<T>(
  schema: z.ZodType<T>,
  raw: string,
  what: string,
  context: ErrorContext,
  fast?: (json: unknown) => T | undefined,
): T | ProtocolError {
  let json: unknown;
  try {
    json = JSON.parse(raw) as unknown;
  } catch (cause) {
    return notJsonError(what, raw, context, cause);
  }
  const quick = fast?.(json);
  if (quick !== undefined) return quick;
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : shapeError(what, parsed.error, raw, context);
}
