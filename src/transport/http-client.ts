import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Got, OptionsOfTextResponseBody, Response } from 'got';
import { Observable } from 'rxjs';
import type { z } from 'zod';
import { ConnectionClosedError, OpenEnvError, ProtocolError, type ErrorContext } from '../errors/index.js';
import { withGot } from '../internal/lazy-got.js';
import { serverBaseUrl } from '../internal/server-url.js';
import { decodeBody } from './decode.js';
import { httpStatusError, mapGotError } from './http-errors.js';
import { watchStaleKeepAlive } from './stale-keep-alive.js';
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

/** The reply exceeded `maxMessageBytes`: the request was aborted (as `/ws` closes with 1009). */
function tooLargeError(limit: number, context: ErrorContext): ProtocolError {
  return new ProtocolError(`The server sent an HTTP body larger than maxMessageBytes (${limit} bytes); the request was aborted`, undefined, context);
}

/** A got instance bound to one server, with its own keep-alive agent. */
export interface HttpClient {
  readonly url: string;
  request<S, T = S>(call: HttpCall<S, T>): Observable<T>;
  /** Idempotent: destroys the keep-alive agent; later requests fail with `ConnectionClosedError`. */
  close(): void;
}

/**
 * A got client for one server: keep-alive agent, connect/response timeouts, no thrown HTTP
 * errors (the status is mapped here), replies capped at `maxMessageBytes` (`ProtocolError`). Throws `InvalidUrlError` for a URL `serverBaseUrl` refuses.
 *
 * Never replays a request that may have reached the server (got's own retry is off), with the
 * one exception Node documents as safe: a request that failed with `ECONNRESET` on a REUSED
 * keep-alive socket before any response byte arrived (the server had closed that idle socket,
 * as uvicorn does after a 500) is sent once more, on a fresh socket.
 *
 * @example
 * const client = createHttpClient('http://127.0.0.1:8000', resolveTransportOptions(), 'http');
 * client.request({ request: 'health', method: 'GET', path: 'health', schema: HealthResponse }).subscribe(console.log);
 */
export function createHttpClient(url: string, options: ResolvedTransportOptions, kind: TransportKind): HttpClient {
  const base = serverBaseUrl(url);
  const https = base.startsWith('https:');
  const agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  let client: Got | undefined;
  // Made on the first request (got itself is imported then, see lazy-got).
  const clientOf = (got: Got): Got =>
    (client ??= got.extend({
      prefixUrl: `${base}/`,
      agent: https ? { https: agent as HttpsAgent } : { http: agent },
      headers: options.headers,
      retry: { limit: 0 },
      throwHttpErrors: false,
      responseType: 'text',
      // `read` covers a body that trickles in after the headers; both count as the reply.
      timeout: { connect: options.connectTimeoutMs, response: options.replyTimeoutMs, read: options.replyTimeoutMs },
    }));
  /** The agent of the one resend after a stale keep-alive socket: no pooled socket to pick. */
  const freshAgent = (): OptionsOfTextResponseBody['agent'] => (https ? { https: new HttpsAgent() } : { http: new HttpAgent() });
  let closed = false;

  function request<S, T = S>(call: HttpCall<S, T>): Observable<T> {
    return withGot((got) => requestOn(clientOf(got), call));
  }

  function requestOn<S, T>(http: Got, call: HttpCall<S, T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      const context: ErrorContext = { url: base, transport: kind, request: call.request };
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
      let settled = false;
      let resent = false;
      const onResponse = (response: Response<string>): void => {
        settled = true;
        if (subscriber.closed) return;
        const text = response.body;
        const status = response.statusCode;
        const contentType = response.headers['content-type'];
        if (status < 200 || status > 299) return subscriber.error(httpStatusError(status, text, context, contentType));
        const data = decodeBody(call.schema, text, `${call.method} /${call.path} body`, context, call.fast, { status, contentType });
        if (data instanceof OpenEnvError) return subscriber.error(data);
        subscriber.next(call.map ? call.map(data) : (data as unknown as T));
        subscriber.complete();
      };
      let oversize = false;
      const send = (overrides?: OptionsOfTextResponseBody) => {
        const sent = http(call.path, overrides ? { ...init, ...overrides } : init);
        const stale = resent ? undefined : watchStaleKeepAlive(sent);
        // got buffers whatever arrives: stop at maxMessageBytes (declared, or counted as it comes,
        // after decompression) so a server cannot fill our memory. Error statuses included.
        sent.on('downloadProgress', ({ transferred, total }) => {
          if (oversize || (transferred <= options.maxMessageBytes && (total ?? 0) <= options.maxMessageBytes)) return;
          oversize = true;
          sent.cancel();
        });
        sent.then(onResponse, (error: unknown) => {
          if (oversize) {
            settled = true;
            if (!subscriber.closed) subscriber.error(tooLargeError(options.maxMessageBytes, context));
            return;
          }
          if (!resent && !closed && !subscriber.closed && stale?.(error)) {
            resent = true;
            pending = send({ agent: freshAgent() });
            return;
          }
          settled = true;
          if (!subscriber.closed) subscriber.error(mapGotError(error, context, options, closed));
        });
        return sent;
      };
      let pending = send();
      // Unsubscribing aborts the request (got rejects with a CancelError, caught above).
      return () => {
        if (!settled) pending.cancel();
      };
    });
  }

  return {
    url: base,
    request,
    close() {
      if (closed) return;
      closed = true;
      agent.destroy();
    },
  };
}
