import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { ConnectionError, TimeoutError, type ErrorContext, type OpenEnvError } from '../errors/index.js';
import { httpStatusError } from './http-errors.js';

/** Enough of a refusal body to read FastAPI's `detail` without buffering a whole proxy page. */
const REFUSAL_BODY_LIMIT = 16 * 1024;

/** ws reports its `handshakeTimeout` only through this message (no error code). */
const HANDSHAKE_TIMEOUT_MESSAGE = 'Opening handshake has timed out';

/**
 * Reports how an opening handshake failed, once: a non-101 answer (403 on generation A, 401
 * without a token) → `HttpStatusError` with the status and parsed body; ws's `handshakeTimeout`
 * → `TimeoutError` (phase `connect`); anything else (ECONNREFUSED, ...) → `ConnectionError`.
 * Events after `open` are not its business: the caller stops listening by then.
 */
export function watchHandshake(
  socket: WebSocket,
  context: ErrorContext,
  connectTimeoutMs: number,
  onFailure: (error: OpenEnvError) => void,
): void {
  let reported = false;
  const report = (error: OpenEnvError): void => {
    if (reported) return;
    reported = true;
    onFailure(error);
  };
  // Once open, failures belong to the connection (WsConnection), not to the handshake.
  socket.once('open', () => {
    reported = true;
  });

  socket.on('unexpected-response', (_request, response: IncomingMessage) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      report(httpStatusError(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), context, response.headers['content-type']));
      socket.terminate();
    };
    response.on('data', (chunk: Buffer) => {
      if (size < REFUSAL_BODY_LIMIT) chunks.push(chunk);
      size += chunk.length;
    });
    response.once('end', finish);
    response.once('error', finish);
    response.once('close', finish);
  });

  socket.on('error', (error: Error & { code?: string }) => {
    if (error.message === HANDSHAKE_TIMEOUT_MESSAGE) {
      report(new TimeoutError('connect', connectTimeoutMs, context, `WebSocket handshake timed out after ${connectTimeoutMs} ms`));
    } else {
      const code = error.code ? `${error.code}: ` : '';
      report(new ConnectionError(`WebSocket connection failed: ${code}${error.message}`, context, { cause: error }));
    }
  });
}
