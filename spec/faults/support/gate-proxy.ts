import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A loopback TCP proxy in front of one server, whose connections a test can turn half-open on demand. */
export interface GateProxy {
  readonly url: string;
  readonly port: number;
  /** Connections proxied so far. */
  readonly connections: number;
  /**
   * Every connection open now stops forwarding, both ways, and nothing is closed: a half-open
   * peer (a NAT or tunnel that dropped the path). New connections are forwarded as usual.
   * Returns how many went half-open.
   */
  halfOpen(): number;
  /** Closes the half-open connections' server sides (as the server's own keepalive finally would). */
  releaseHalfOpen(): void;
  /** Sockets open on either side now (both ends of every proxied connection). */
  openSockets(): number;
  /** Resets every socket and closes the listener; idempotent. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  stalled: boolean;
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to 127.0.0.1:`targetPort`. */
export async function startGateProxy(targetPort: number): Promise<GateProxy> {
  const pairs = new Set<Pair>();
  const sockets = new Set<Socket>();
  let connections = 0;
  let closing: Promise<void> | undefined;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    connections++;
    track(client);
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    const pair: Pair = { client, upstream, stalled: false };
    pairs.add(pair);
    client.on('data', (data: Buffer) => void (pair.stalled || upstream.write(data)));
    upstream.on('data', (data: Buffer) => void (pair.stalled || client.write(data)));
    // A half-open pair keeps the server's side open when the client gives up (the server never hears of it).
    client.once('close', () => void (pair.stalled || upstream.destroy()));
    upstream.once('close', () => {
      pairs.delete(pair);
      if (!pair.stalled) client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    halfOpen() {
      let n = 0;
      for (const pair of pairs) if (!pair.stalled && !pair.client.destroyed) (pair.stalled = true), n++;
      return n;
    },
    releaseHalfOpen() {
      for (const pair of pairs) if (pair.stalled) pair.upstream.destroy();
    },
    openSockets: () => sockets.size,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.resetAndDestroy();
      })),
  };
}
