import { Observable, defer, retry, throwError, timeout, timer } from 'rxjs';
import WebSocket from 'ws';
import { ConnectionError, HttpStatusError, TimeoutError, type ErrorContext, type OpenEnvError } from '../../errors/index.js';
import { watchHandshake } from '../../transport/ws-handshake.js';
import { wsUrlFor } from '../../transport/ws-url.js';

export interface WaitWsHandshakeOptions {
  /** Sent with the upgrade (the bearer token). */
  headers?: Record<string, string>;
  /** Pause between attempts refused at the TCP level. Default 50 ms. */
  intervalMs?: number;
  /** Give up after this long with `TimeoutError` phase `start`. */
  timeoutMs: number;
  /** The budget the timeout error names. Default `timeoutMs`. */
  budgetMs?: number;
  /** One attempt's own budget (handshake, then the server's close). Default 5 000 ms. */
  attemptTimeoutMs?: number;
  context?: ErrorContext;
}

/** A server that answered the upgrade with a status has no `/ws` (generation A: 403) when it is 403/404/405. */
const noWsRoute = (error: OpenEnvError): boolean => error instanceof HttpStatusError && [403, 404, 405].includes(error.status);

/**
 * One opening handshake on `/ws`, then `{"type":"close"}` and the server's close: both OpenEnv
 * and our server release the session slot before they send that close, so a server that accepts
 * one session at a time is free again when this completes. A server without `/ws` completes too.
 */
function handshakeOnce(url: string, headers: Record<string, string>, attemptTimeoutMs: number, context: ErrorContext): Observable<void> {
  return new Observable<void>((subscriber) => {
    const socket = new WebSocket(wsUrlFor(url), { headers, perMessageDeflate: false, handshakeTimeout: attemptTimeoutMs });
    let opened = false;
    watchHandshake(socket, context, attemptTimeoutMs, (error) => {
      if (!noWsRoute(error)) return subscriber.error(error);
      subscriber.next();
      subscriber.complete();
    });
    socket.once('open', () => {
      opened = true;
      socket.send('{"type":"close"}');
    });
    socket.on('error', () => undefined); // after open: the close below reports
    socket.once('close', () => {
      if (!opened) return; // the handshake watcher reported why
      subscriber.next();
      subscriber.complete();
    });
    const closeTimer = setTimeout(() => {
      // Handshake done but no close from the server: the server is up; do not hold its slot.
      if (opened) {
        socket.terminate();
        subscriber.next();
        subscriber.complete();
      }
    }, attemptTimeoutMs);
    return () => {
      clearTimeout(closeTimer);
      if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
    };
  });
}

/**
 * Waits until `<url>/ws` completes a real WebSocket opening handshake (with `headers`), after
 * `/health` said the server is up: proves the node's port reaches the server's `/ws` and that the
 * token is accepted. Refused or reset connections are retried every `intervalMs`; a 401 (token
 * rejected) fails at once with `HttpStatusError`; a server without `/ws` (403/404/405, OpenEnv
 * generation A, which sessions reach over HTTP) counts as ready.
 *
 * @example
 * await firstValueFrom(waitWsHandshake('http://10.0.0.5:30001', { headers: { authorization: `Bearer ${token}` }, timeoutMs: 10_000 }));
 */
export function waitWsHandshake(url: string, options: WaitWsHandshakeOptions): Observable<void> {
  const intervalMs = options.intervalMs ?? 50;
  const context: ErrorContext = { url, request: 'connect', ...options.context };
  let lastProblem = 'no answer yet';
  const attempt$ = defer(() => handshakeOnce(url, options.headers ?? {}, options.attemptTimeoutMs ?? 5_000, context));
  return attempt$.pipe(
    retry({
      delay: (error: OpenEnvError) => {
        if (!(error instanceof ConnectionError) && !(error instanceof TimeoutError)) return throwError(() => error);
        lastProblem = error.message;
        return timer(intervalMs);
      },
    }),
    timeout({
      first: options.timeoutMs,
      with: () =>
        throwError(
          () =>
            new TimeoutError(
              'start',
              options.budgetMs ?? options.timeoutMs,
              context,
              `${url}/ws did not complete a WebSocket handshake within ${options.budgetMs ?? options.timeoutMs} ms (last attempt: ${lastProblem})`,
            ),
        ),
    }),
  );
}
