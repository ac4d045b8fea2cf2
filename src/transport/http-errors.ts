import { ConnectionClosedError, ConnectionError, HttpStatusError, markPermanent, TimeoutError, type ErrorContext, type OpenEnvError } from '../errors/index.js';
import { ErrorDetailBody } from '../protocol/http-messages.js';
import { DEFAULT_MAX_JSON_DEPTH, jsonTooDeepAt } from '../internal/json-depth.js';

/** got's timeout events that happen before the request reached the server. */
const CONNECT_EVENTS: ReadonlySet<string> = new Set(['lookup', 'connect', 'secureConnect']);

/** Longest slice of a body kept in an error (a proxy may answer with a whole HTML page). */
export const RAW_LIMIT = 2_000;

/** Parses a body as JSON, or keeps the text when it is not JSON (a 500 `text/plain`) or nests absurdly deep. */
export function parseBodyLoosely(text: string): unknown {
  if (text === '') return undefined;
  if (jsonTooDeepAt(text, DEFAULT_MAX_JSON_DEPTH) !== undefined) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * A non-2xx answer → `HttpStatusError`, with FastAPI's `detail` (422 list, 404/405 string) parsed;
 * a body that is not JSON is described by `contentType` and its first line.
 */
export function httpStatusError(status: number, text: string, context: ErrorContext, contentType?: string): HttpStatusError {
  const body = parseBodyLoosely(text);
  const detail = ErrorDetailBody.safeParse(body);
  const kept = typeof body === 'string' ? body.slice(0, RAW_LIMIT) : body;
  const error = new HttpStatusError(status, kept, detail.success ? detail.data.detail : undefined, context, contentType);
  // No such route: asking again gets the same answer (generation A's JSON 404 for /schema is read
  // as "no /schema" before it can fail anything).
  return status === 404 ? markPermanent(error) : error;
}

interface GotLikeError {
  name?: string;
  code?: string;
  event?: string;
  message?: string;
}

/**
 * Maps a got rejection to a typed error: got's `TimeoutError` → `TimeoutError` (phase `connect`
 * for lookup/connect events, `reply` otherwise); everything else (ECONNREFUSED, ECONNRESET, a read
 * error mid-body, ...) → `ConnectionError` whose `cause` is a detached copy of the system error
 * (never got's error, which holds the request headers).
 */
export function mapGotError(
  error: unknown,
  context: ErrorContext,
  timeouts: { connectTimeoutMs: number; replyTimeoutMs: number },
  closed: boolean,
): OpenEnvError {
  if (closed) return new ConnectionClosedError('The HTTP transport was closed', undefined, undefined, context);
  const e = (error ?? {}) as GotLikeError;
  if (e.name === 'TimeoutError' && typeof e.event === 'string') {
    return CONNECT_EVENTS.has(e.event)
      ? new TimeoutError('connect', timeouts.connectTimeoutMs, context)
      : new TimeoutError('reply', timeouts.replyTimeoutMs, context);
  }
  const code = typeof e.code === 'string' ? `${e.code}: ` : '';
  return new ConnectionError(`HTTP request failed: ${code}${e.message ?? String(error)}`, context, { cause: detachedCause(error) });
}

/** Primitive fields of a system error worth keeping (`ECONNRESET`, `connect`, `127.0.0.1`, ...). */
const SYSTEM_FIELDS = ['code', 'errno', 'syscall', 'address', 'port'] as const;

/**
 * The cause kept on a `ConnectionError`: a fresh Error with the system error's message and
 * primitive fields only. got's own error references its options and request, whose headers hold
 * the caller's `Authorization` token: a logger printing causes deeply would leak it.
 */
function detachedCause(error: unknown): Error {
  const inner = (error as { cause?: unknown } | null)?.cause ?? error;
  const source = (typeof inner === 'object' && inner !== null ? inner : {}) as Record<string, unknown>;
  const cause = new Error(typeof source['message'] === 'string' ? source['message'] : String(inner));
  for (const key of SYSTEM_FIELDS) {
    const value = source[key];
    if (typeof value === 'string' || typeof value === 'number') Object.defineProperty(cause, key, { value, enumerable: true });
  }
  return cause;
}
