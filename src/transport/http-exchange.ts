import type { Got, OptionsOfTextResponseBody, Response } from 'got';
import { Observable } from 'rxjs';
import { ConnectionClosedError, OpenEnvError, ProtocolError, type ErrorContext } from '../errors/index.js';
import { decodeBody } from './decode.js';
import type { HttpCall } from './http-client.js';
import { httpStatusError, mapGotError } from './http-errors.js';
import { watchStaleKeepAlive } from './stale-keep-alive.js';
import type { TransportKind } from './transport.js';
import type { ResolvedTransportOptions } from './transport-options.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** What one exchange needs of its client. */
export interface ExchangeHost {
  /** Base URL of the server (for error context). */
  readonly base: string;
  readonly kind: TransportKind;
  readonly options: ResolvedTransportOptions;
  /** The client was closed: new requests fail, a pending one is not resent. */
  closed(): boolean;
  /** The agent of the one resend after a stale keep-alive socket. */
  freshAgent(): OptionsOfTextResponseBody['agent'];
}

/** The reply exceeded `maxMessageBytes`: the request was aborted (as `/ws` closes with 1009). */
function tooLargeError(limit: number, context: ErrorContext): ProtocolError {
  return new ProtocolError(`The server sent an HTTP body larger than maxMessageBytes (${limit} bytes); the request was aborted`, undefined, context);
}

/**
 * ONE request of `createHttpClient` on its got instance, as a cold Observable: the body serialised
 * here (an unserialisable one is a `ProtocolError`, not a connection error), the reply capped at
 * `maxMessageBytes`, decoded against `call.schema` (non-2xx: `HttpStatusError`), resent once on a
 * fresh socket only after a stale keep-alive `ECONNRESET` (see `watchStaleKeepAlive`); unsubscribing
 * cancels it.
 *
 * @example
 * httpExchange(got, { request: 'health', method: 'GET', path: 'health', schema: HealthResponse }, host).subscribe(console.log);
 */
export function httpExchange<S, T>(http: Got, call: HttpCall<S, T>, host: ExchangeHost): Observable<T> {
  const { base, kind, options } = host;
  return new Observable<T>((subscriber) => {
    const context: ErrorContext = { url: base, transport: kind, request: call.request };
    if (host.closed()) {
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
        if (!resent && !host.closed() && !subscriber.closed && stale?.(error)) {
          resent = true;
          pending = send({ agent: host.freshAgent() });
          return;
        }
        settled = true;
        if (!subscriber.closed) subscriber.error(mapGotError(error, context, options, host.closed()));
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
