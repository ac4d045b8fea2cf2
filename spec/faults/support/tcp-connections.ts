import { tcpRows } from './proc-net-tcp.js';

/**
 * TCP connections the kernel holds on the server side of local `port` (every /proc/net/tcp and
 * tcp6 entry with that local port that is not the listener: established, closing or TIME_WAIT).
 * A test gate that sees a client connect without any hook in the server: the count only grows
 * within a test's time (a closed connection stays in TIME_WAIT for a minute).
 *
 * @example
 * serverConnections(8000); // 2: one client still connected, one that came and went
 */
export function serverConnections(port: number): number {
  return tcpRows().filter((row) => row.state !== '0A' && row.localPort === port).length;
}
