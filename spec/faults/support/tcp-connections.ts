import { readFileSync } from 'node:fs';

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
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 on this kernel
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state === '0A') continue;
      if (parseInt(local.split(':')[1] ?? '', 16) === port) count++;
    }
  }
  return count;
}
