import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface ChaosProxyOptions {
  /** Where connections are forwarded (a server on 127.0.0.1). */
  targetPort: number;
  /** Seeded randomness: every decision of the proxy is drawn from it. */
  random: () => number;
  /** Chance that a connection goes half-open at some point. */
  stallProbability: number;
  /** A half-open connection stops forwarding after this many client chunks, drawn uniformly in [min, max]. */
  stallAfterChunks: [number, number];
  /**
   * After the client gave up on a half-open connection, the server's side stays open this long
   * (its session slot held, as a real half-open peer holds it until its keepalive expires).
   */
  holdServerSideMs: number;
}

/** A TCP proxy in front of one server that injects half-open sockets, and can "kill" the server's reachability. */
export interface ChaosProxy {
  readonly url: string;
  /** Connections that went half-open so far. */
  readonly stalls: number;
  /** Sockets open on either side right now (both ends of every proxied connection). */
  openSockets(): number;
  /** Like a killed server: every connection reset (RST) at once, new ones refused (the listener is closed). */
  kill(): void;
  /** Closes everything; resolves once the listener is closed. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 (a free port). Bytes are forwarded chunk by chunk; a connection
 * drawn to stall stops forwarding in both directions but keeps both TCP sockets open (a half-open
 * peer: the client's request never arrives, no reply ever comes, nothing is closed). When the
 * client closes such a socket, the server's side lingers for `holdServerSideMs`.
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stalls = 0;
  let closing: Promise<void> | undefined;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };

  const server = createServer((client) => {
    track(client);
    const upstream = connect({ host: '127.0.0.1', port: options.targetPort });
    track(upstream);
    const [min, max] = options.stallAfterChunks;
    const stallAt = options.random() < options.stallProbability ? min + Math.floor(options.random() * (max - min + 1)) : Infinity;
    let chunks = 0;
    let stalled = false;
    client.on('data', (data: Buffer) => {
      if (stalled) return;
      if (++chunks >= stallAt) {
        stalled = true;
        stalls++;
        return; // this chunk and everything after it is dropped, both ways
      }
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      if (!stalled) client.write(data);
    });
    client.once('close', () => {
      if (!stalled) return void upstream.destroy();
      const timer = setTimeout(() => {
        timers.delete(timer);
        upstream.destroy();
      }, options.holdServerSideMs);
      timers.add(timer);
    });
    upstream.once('close', () => {
      if (!stalled) client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.resetAndDestroy();
    }));
  return {
    url: `http://127.0.0.1:${port}`,
    get stalls() {
      return stalls;
    },
    openSockets: () => sockets.size,
    kill: () => void close(),
    close,
  };
}
