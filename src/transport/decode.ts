import type { z } from 'zod';
import { describeBody } from '../errors/describe-body.js';
import { issuePaths } from '../errors/describe-issues.js';
import { ProtocolError, type ErrorContext } from '../errors/index.js';
import { RAW_LIMIT } from './http-errors.js';
import { DEFAULT_MAX_JSON_DEPTH, jsonTooDeepAt, tooDeepMessage } from '../internal/json-depth.js';

/**
 * Parses a server's JSON, refusing nesting deeper than `DEFAULT_MAX_JSON_DEPTH` first (one pass,
 * no recursion): a hostile server's 400 000-deep reply parses, then overflows the stack of
 * whatever walks it (validation, the user's `JSON.stringify`). Throws `ProtocolError` for that,
 * and JSON.parse's SyntaxError for text that is not JSON.
 */
export function parseServerJson(raw: string, what: string, context: ErrorContext): unknown {
  const deepAt = jsonTooDeepAt(raw, DEFAULT_MAX_JSON_DEPTH);
  if (deepAt !== undefined) throw new ProtocolError(`${what} is ${tooDeepMessage(DEFAULT_MAX_JSON_DEPTH, deepAt)}`, raw.slice(0, RAW_LIMIT), context);
  return JSON.parse(raw) as unknown;
}

/** Status and content type of an HTTP answer, for messages about its body. */
export interface Received {
  status: number;
  contentType: string | undefined;
}

/**
 * A body that is not JSON → `ProtocolError` keeping the start of the raw text in `raw`; for an
 * HTTP answer the message says status, content type and first line (never the whole page).
 */
export function notJsonError(what: string, raw: string, context: ErrorContext, cause: unknown, received?: Received): ProtocolError {
  const how = received ? `: HTTP ${received.status}, ${describeBody(received.contentType, raw)}` : '';
  return new ProtocolError(`${what} is not JSON${how}`, raw.slice(0, RAW_LIMIT), context, { cause });
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
  received?: Received,
): T | ProtocolError {
  let json: unknown;
  try {
    json = parseServerJson(raw, what, context);
  } catch (cause) {
    if (cause instanceof ProtocolError) return cause;
    return notJsonError(what, raw, context, cause, received);
  }
  const quick = fast?.(json);
  if (quick !== undefined) return quick;
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : shapeError(what, parsed.error, raw, context);
}
