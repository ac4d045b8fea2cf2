import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';

/** What a got request lets us watch: its `ClientRequest` as soon as it exists. */
interface WatchableRequest {
  on(name: 'request', listener: (request: ClientRequest) => void): unknown;
}

/**
 * Watches one got request for Node's keep-alive race: a server may close an idle keep-alive
 * socket (uvicorn does after a 500) while the agent hands that socket to the next request. The
 * request then fails with `ECONNRESET` ("socket hang up") before the server read it. Returns a
 * test of the request's error: true only when the socket was REUSED (`request.reusedSocket`,
 * Node's documented rule), the error is `ECONNRESET`, and not one response byte arrived on that
 * socket since it was handed to this request. Such a request is safe to send once more on a
 * fresh socket; anything else may have reached the server and is never replayed.
 */
export function watchStaleKeepAlive(pending: WatchableRequest): (error: unknown) => boolean {
  let socket: Socket | undefined;
  let reused = false;
  let bytesBefore = 0;
  pending.on('request', (request) => {
    request.once('socket', (assigned: Socket) => {
      socket = assigned;
      reused = request.reusedSocket;
      bytesBefore = assigned.bytesRead;
    });
  });
  return (error) => {
    const e = error as { code?: unknown; response?: unknown } | null;
    return reused && socket !== undefined && socket.bytesRead === bytesBefore && e?.code === 'ECONNRESET' && e.response === undefined;
  };
}
