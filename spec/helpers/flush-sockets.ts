import { WebSocket } from 'ws';

/**
 * Pings every open server-side socket and resolves once each answered (or closed). WS frames
 * travel in order, so by then every frame a client sent before the ping has arrived: a gate for
 * "the client sent nothing else" checks, instead of a sleep.
 */
export function flushSockets(sockets: Iterable<WebSocket>): Promise<void> {
  return Promise.all(
    [...sockets]
      .filter((ws) => ws.readyState === WebSocket.OPEN)
      .map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('pong', () => resolve());
            ws.once('close', () => resolve());
            ws.ping();
          }),
      ),
  ).then(() => undefined);
}
