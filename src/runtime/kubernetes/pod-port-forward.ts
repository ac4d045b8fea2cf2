import { connect, createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';
import { Observable } from 'rxjs';

/** The WebSocket client-node's port-forward opens (the `ws` package's, or the global one). */
interface ForwardSocket {
  close(): void;
  addEventListener?(type: 'close', listener: () => void): void;
  on?(event: 'close', listener: () => void): void;
}

/**
 * A local port on 127.0.0.1 forwarded to `port` of the pod through the API server
 * (`pods/portforward`, client-node's `PortForward`): each TCP connection accepted is one
 * forwarded stream. Emits the local base URL once listening; unsubscribing closes the listener,
 * every connection and its stream. A stream the kubelet cannot open (nothing listens in the pod
 * yet) closes its local connection, as a refused connection would.
 */
export function podPortForward(kubeConfig: KubeConfig, namespace: string, name: string, port: number): Observable<string> {
  return new Observable<string>((subscriber) => {
    const forward = new PortForward(kubeConfig, true);
    const open = new Set<{ socket: Socket; ws?: ForwardSocket }>();
    const server = createServer((socket) => {
      const entry: { socket: Socket; ws?: ForwardSocket } = { socket };
      open.add(entry);
      socket.on('error', () => undefined);
      // The kubelet reports a failed dial on the error stream: end the local side. Its first
      // message is only the port number, which client-node strips and passes on as an empty chunk.
      const errors = new Writable({ write: (chunk: Buffer, _encoding, done) => (chunk.length > 0 && socket.destroy(), done()) });
      socket.on('close', () => {
        open.delete(entry);
        entry.ws?.close();
      });
      forward.portForward(namespace, name, [port], socket, errors, socket).then(
        (ws) => {
          entry.ws = ws as unknown as ForwardSocket;
          if (socket.destroyed) return entry.ws.close();
          const onClose = (): void => void socket.destroy();
          if (entry.ws.on) entry.ws.on('close', onClose);
          else entry.ws.addEventListener?.('close', onClose);
        },
        () => socket.destroy(),
      );
    });
    server.on('error', (error) => subscriber.error(error));
    server.listen(0, '127.0.0.1', () => subscriber.next(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
    return () => {
      server.close();
      for (const { socket, ws } of open) {
        ws?.close();
        socket.destroy();
      }
      open.clear();
    };
  });
}

/**
 * Whether `host:port` is routable from here: a TCP connection is accepted or refused (a host
 * answered) within `timeoutMs`; unreachable, timed out: not routable.
 */
export function isRoutable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (routable: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(routable);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
  });
}
