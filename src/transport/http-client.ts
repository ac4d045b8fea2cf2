import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Got, OptionsOfTextResponseBody } from 'got';
import type { Observable, Unsubscribable } from 'rxjs';
import type { z } from 'zod';
import type { ErrorContext } from '../errors/index.js';
import { fromRequest, type Reply } from '../internal/call.js';
import { loadGot } from '../internal/lazy-got.js';
import { serverBaseUrl } from '../internal/server-url.js';
import { startHttpExchange, type ExchangeHost } from './http-exchange.js';
import type { TransportKind } from './transport.js';
import type { ResolvedTransportOptions } from './transport-options.js';

/** got once imported (see lazy-got): every request after the first starts synchronously. */
let loadedGot: Got | undefined;

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
  /** Starts `call` in the request contract (`src/internal/call.ts`): the answer goes to `reply`; the result abandons it. */
  send<S, T = S>(call: HttpCall<S, T>, reply: Reply<T>): Unsubscribable | undefined;
  /** `send` as a cold Observable of one value; unsubscribing aborts the request. */
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
  const host: ExchangeHost = { base, kind, options, freshAgent, closed: () => closed };

  function send<S, T = S>(call: HttpCall<S, T>, reply: Reply<T>): Unsubscribable | undefined {
    if (loadedGot !== undefined) return startHttpExchange(clientOf(loadedGot), call, host, reply);
    return startAfterGotLoads((got) => startHttpExchange(clientOf(got), call, host, reply), reply);
  }

  return {
    url: base,
    send,
    request: <S, T = S>(call: HttpCall<S, T>) => fromRequest<T>((reply) => send(call, reply)),
    close() {
      if (closed) return;
      closed = true;
      agent.destroy();
    },
  };
}

/**
 * The first requests of the process wait for got's import; abandoning one before it resolved
 * starts nothing. A failed import fails the request (and is tried again by the next one).
 */
function startAfterGotLoads<T>(start: (got: Got) => Unsubscribable | undefined, reply: Reply<T>): Unsubscribable {
  let abandoned = false;
  let started: Unsubscribable | undefined;
  loadGot().then(
    (got) => {
      loadedGot = got;
      if (abandoned) return;
      try {
        started = start(got);
      } catch (error) {
        // Not a rejection nobody handles: the request fails.
        reply.error(error);
      }
    },
    (error: unknown) => {
      if (!abandoned) reply.error(error);
    },
  );
  return {
    unsubscribe: () => {
      abandoned = true;
      started?.unsubscribe();
    },
  };
}
