import type { CancelableRequest, Got, OptionsOfTextResponseBody, Response } from 'got';
import type { Unsubscribable } from 'rxjs';
import { ConnectionClosedError, OpenEnvError, ProtocolError, type ErrorContext } from '../errors/index.js';
import type { Reply } from '../internal/call.js';
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

/** A got request in flight: a promise that can be cancelled and watched. */
type Sent = CancelableRequest<Response<string>>;

/** The reply exceeded `maxMessageBytes`: the request was aborted (as `/ws` closes with 1009). */
function tooLargeError(limit: number, context: ErrorContext): ProtocolError {
  return new ProtocolError(`The server sent an HTTP body larger than maxMessageBytes (${limit} bytes); the request was aborted`, undefined, context);
}

/**
 * Starts ONE request of `createHttpClient` on its got instance, in the request contract
 * (`src/internal/call.ts`): the body serialised here (an unserialisable one is a `ProtocolError`,
 * not a connection error), the reply capped at `maxMessageBytes`, decoded against `call.schema`
 * (non-2xx: `HttpStatusError`), resent once on a fresh socket only after a stale keep-alive
 * `ECONNRESET` (see `watchStaleKeepAlive`). The answer goes to `reply` exactly once; what this
 * returns abandons the request and cancels got's (the server sees the connection close).
 *
 * @example
 * startHttpExchange(got, { request: 'health', method: 'GET', path: 'health', schema: HealthResponse }, host, {
 *   value: (health) => console.log(health.status),
 *   error: (error) => console.error(error),
 * });
 */
export function startHttpExchange<S, T>(http: Got, call: HttpCall<S, T>, host: ExchangeHost, reply: Reply<T>): Unsubscribable | undefined {
  const exchange = new HttpExchange(http, call, host, reply);
  return exchange.start() ? exchange : undefined;
}

/** One request and its one possible resend; the object is its own abandon handle. */
class HttpExchange<S, T> implements Unsubscribable {
  private settled = false;
  private resent = false;
  private oversize = false;
  private pending: Sent | undefined;
  private stale: ((error: unknown) => boolean) | undefined;
  private readonly init: OptionsOfTextResponseBody;
  private ctx: ErrorContext | undefined;

  constructor(
    private readonly http: Got,
    private readonly call: HttpCall<S, T>,
    private readonly host: ExchangeHost,
    private readonly reply: Reply<T>,
  ) {
    this.init = { method: call.method };
  }

  /** `{ url, transport, request }`, made only when an error needs it. */
  private get context(): ErrorContext {
    return (this.ctx ??= { url: this.host.base, transport: this.host.kind, request: this.call.request });
  }

  /** Sends the request; false when it failed before anything was sent (already answered). */
  start(): boolean {
    const { call, host } = this;
    if (host.closed()) return this.fail(new ConnectionClosedError('The HTTP transport was closed', undefined, undefined, this.context));
    if (call.body !== undefined) {
      // Serialised here, not by got, so an unserialisable body is a typed error, not a "connection" one.
      try {
        this.init.body = JSON.stringify(call.body);
      } catch (cause) {
        return this.fail(new ProtocolError(`Cannot serialise the ${call.request} body as JSON`, undefined, this.context, { cause }));
      }
      this.init.headers = JSON_HEADERS;
    }
    this.send(this.init);
    return true;
  }

  /** Abandons the request: got's is cancelled (it rejects with a CancelError, ignored below). */
  unsubscribe(): void {
    if (this.settled) return;
    this.settled = true;
    this.pending?.cancel();
  }

  private send(options: OptionsOfTextResponseBody): void {
    const sent: Sent = this.http(this.call.path, options);
    this.pending = sent;
    this.stale = this.resent ? undefined : watchStaleKeepAlive(sent);
    // got buffers whatever arrives: stop at maxMessageBytes (declared, or counted as it comes,
    // after decompression) so a server cannot fill our memory. Error statuses included.
    sent.on('downloadProgress', this.onProgress);
    sent.then(this.onResponse, this.onError);
  }

  private readonly onProgress = ({ transferred, total }: { transferred: number; total?: number }): void => {
    const limit = this.host.options.maxMessageBytes;
    if (this.oversize || (transferred <= limit && (total ?? 0) <= limit)) return;
    this.oversize = true;
    this.pending?.cancel();
  };

  private readonly onResponse = (response: Response<string>): void => {
    if (this.settled) return;
    const { call } = this;
    const text = response.body;
    const status = response.statusCode;
    const contentType = response.headers['content-type'];
    if (status < 200 || status > 299) return void this.fail(httpStatusError(status, text, this.context, contentType));
    const data = decodeBody(call.schema, text, `${call.method} /${call.path} body`, this.context, call.fast, { status, contentType });
    if (data instanceof OpenEnvError) return void this.fail(data);
    this.settled = true;
    this.reply.value(call.map ? call.map(data) : (data as unknown as T));
  };

  private readonly onError = (error: unknown): void => {
    if (this.settled) return;
    const { host } = this;
    if (this.oversize) return void this.fail(tooLargeError(host.options.maxMessageBytes, this.context));
    if (!this.resent && !host.closed() && this.stale?.(error)) {
      this.resent = true;
      this.send({ ...this.init, agent: host.freshAgent() });
      return;
    }
    this.fail(mapGotError(error, this.context, host.options, host.closed()));
  };

  private fail(error: OpenEnvError): false {
    this.settled = true;
    this.reply.error(error);
    return false;
  }
}
