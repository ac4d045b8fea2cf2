import { Observable } from 'rxjs';
import WebSocket from 'ws';
import type { ErrorContext } from '../errors/index.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { httpInfo } from './http-info.js';
import type { Transport, TransportOptions } from './transport.js';
import { resolveTransportOptions } from './transport-options.js';
import { WsConnection } from './ws-connection.js';
import { registerTransportRequest } from './transport-request.js';
import type { Reply } from '../internal/call.js';
import { watchHandshake } from './ws-handshake.js';
import { serverBaseUrl, wsUrlOf } from '../internal/server-url.js';

/**
 * The stateful `/ws` transport (generation B+): one socket = one env session. Emits the transport
 * once the socket is open and never completes; unsubscribing closes it (`{"type":"close"}` first).
 * A refused handshake errors this Observable (`HttpStatusError` 403/401, `TimeoutError` phase
 * `connect`, `ConnectionError`); after that, failures arrive on `transport.failure$`.
 * `health`/`schema`/`metadata` go over HTTP on a keep-alive agent released on close.
 *
 * @example
 * openWsTransport('http://127.0.0.1:8000', { replyTimeoutMs: 5_000 })
 *   .pipe(switchMap((t) => t.reset({ seed: 7 }).pipe(concatMap(() => t.step({ action: 'DOWN' })))))
 *   .subscribe((r) => console.log(r.observation, r.reward, r.done));
 */
export function openWsTransport(url: string, options?: TransportOptions): Observable<Transport> {
  return new Observable<Transport>((subscriber) => {
    const base = serverBaseUrl(url);
    const resolved = resolveTransportOptions(options);
    const context: ErrorContext = { url: base, transport: 'ws', request: 'connect' };
    const socket = new WebSocket(wsUrlOf(base), {
      headers: resolved.headers,
      handshakeTimeout: resolved.connectTimeoutMs,
      maxPayload: resolved.maxMessageBytes,
      perMessageDeflate: resolved.perMessageDeflate,
    });
    let connection: WsConnection | undefined;
    let client: HttpClient | undefined;
    watchHandshake(socket, context, resolved.connectTimeoutMs, (error) => subscriber.error(error));
    socket.once('open', () => {
      // Listeners attach synchronously in 'open': ws delivers the first frame (a possible
      // CAPACITY_REACHED) on a later tick, so it reaches the connection, not the void.
      connection = new WsConnection(socket, base, resolved.replyTimeoutMs, resolved.maxMessageBytes, resolved.keepalive, resolved.writes);
      client = createHttpClient(base, resolved, 'ws');
      const info = httpInfo(client);
      const open = connection;
      const http = client;
      const transport: Transport = {
        kind: 'ws',
        url: base,
        stateful: true,
        reset: (data) => open.reset(data),
        step: (action) => open.step(action),
        state: () => open.state(),
        mcp: (method, params) => open.mcp(method, params),
        health: info.health,
        schema: info.schema,
        metadata: info.metadata,
        failure$: open.failure$,
        close: () => {
          open.close();
          http.close();
        },
      };
      // The session's resets and steps go straight onto the socket; `reset`/`step` above are the same requests, wrapped.
      registerTransportRequest(transport, (kind, data, reply) => open.request(kind, data, reply as Reply<never>));
      subscriber.next(transport);
    });
    return () => {
      if (connection) connection.close();
      else socket.terminate();
      client?.close();
    };
  });
}
