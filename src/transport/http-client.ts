import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got, { type Got, type OptionsOfTextResponseBody } from 'got';
import { Observable } from 'rxjs';
import type { z } from 'zod';
import { ConnectionClosedError, ConnectionError, OpenEnvError, ProtocolError, type ErrorContext } from '../errors/index.js';
import { decodeBody } from './decode.js';
import { httpStatusError, mapGotError } from './http-errors.js';
import type { TransportKind } from './transport.js';
import type { ResolvedTransportOptions } from './transport-options.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

export type RequestName = NonNullable<ErrorContext['request']>;

/** One HTTP request: where it goes, what it sends, and the zod schema its 200 body must match. */
export interface HttpCall<S, T = S> {
  request: RequestName;
  method: 'GET' | 'POST';
  /** Relative to the base URL, without a leading slash (`reset`, `schema`). */
  path: string;
  /** JSON body; `undefined` sends no body and no Content-Type. */
  body?: unknown;
  schema: z.ZodType<S>;
  /** A hand-written check of the common shape, tried before `schema` (see `decodeBody`). */
  fast?: (json: unknown) => S | undefined;
  map?: (data: S) => T;
}

/** A got instance bound to one server, with its own keep-alive agent. */
export interface HttpClient {
  readonly url: string;
  request<S, T = S>(call: HttpCall<S, T>): Observable<T>;
  /** Idempotent: destroys the keep-alive agent; later requests fail with `ConnectionClosedError`. */
  close(): void;
}

/** Validates a base URL: only `http:` and `https:` (a `ConnectionError` otherwise). */
export function parseHttpUrl(url: string, context: ErrorContext): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConnectionError(`Invalid server URL "${url}"`, context, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConnectionError(`Server URL must be http: or https:, got "${parsed.protocol}"`, context);
  }
  return parsed;
}

/**
 * A got client for one server: keep-alive agent, `retry: {limit: 0}` (a request that may have
 * reached the server is never replayed), connect/response timeouts, no thrown HTTP errors (the
 * status is mapped here). Throws `ConnectionError` on a URL that is not http(s).
 *
 * @example
 * const client = createHttpClient('http://127.0.0.1:8000', resolveTransportOptions(), 'http');
 * client.request({ request: 'health', method: 'GET', path: 'health', schema: HealthResponse }).subscribe(console.log);
 */
export function createHttpClient(url: string, options: ResolvedTransportOptions, kind: TransportKind): HttpClient {
  const baseContext: ErrorContext = { url, transport: kind };
  const parsed = parseHttpUrl(url, baseContext);
  const agent = parsed.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const client: Got = got.extend({
    prefixUrl: `${url}/`,
    agent: parsed.protocol === 'https:' ? { https: agent as HttpsAgent } : { http: agent },
    headers: options.headers,
    retry: { limit: 0 },
    throwHttpErrors: false,
    responseType: 'text',
    // `read` covers a body that trickles in after the headers; both count as the reply.
    timeout: { connect: options.connectTimeoutMs, response: options.replyTimeoutMs, read: options.replyTimeoutMs },
  });
  let closed = false;

  function request<S, T = S>(call: HttpCall<S, T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      const context: ErrorContext = { url, transport: kind, request: call.request };
      if (closed) {
        subscriber.error(new ConnectionClosedError('The HTTP transport was closed', undefined, undefined, context));
        return;
      }
      const init: OptionsOfTextResponseBody = { method: call.method };
      if (call.body !== undefined) {
        // Serialised here, not by got, so an unserialisable body is a typed error, not a "connection" one.
        try {
          init.body = JSON.stringify(call.body);
        } catch (cause) {
          subscriber.error(new ProtocolError(`Cannot serialise the ${call.request} body as JSON`, undefined, context, { cause }));
          return undefined;
        }
        init.headers = JSON_HEADERS;
      }
      const pending = client(call.path, init);
      let settled = false;
      pending.then(
        (response) => {
          settled = true;
          if (subscriber.closed) return;
          const text = response.body;
          const status = response.statusCode;
          if (status < 200 || status > 299) return subscriber.error(httpStatusError(status, text, context));
          const data = decodeBody(call.schema, text, `${call.method} /${call.path} body`, context, call.fast);
          if (data instanceof OpenEnvError) return subscriber.error(data);
          subscriber.next(call.map ? call.map(data) : (data as unknown as T));
          subscriber.complete();
        },
        (error: unknown) => {
          settled = true;
          if (!subscriber.closed) subscriber.error(mapGotError(error, context, options, closed));
        },
      );
      // Unsubscribing aborts the request (got rejects with a CancelError, caught above).
      return () => {
        if (!settled) pending.cancel();
      };
    });
  }

  return {
    url,
    request,
    close() {
      if (closed) return;
      closed = true;
      agent.destroy();
    },
  };
}
