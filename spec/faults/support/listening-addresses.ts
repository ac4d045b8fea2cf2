import { tcpRows } from './proc-net-tcp.js';

/** `0100007F` (little-endian IPv4 as /proc writes it) → `127.0.0.1`. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** A 32-hex-digit /proc IPv6 address → `::`, `::1` or the full form (enough to tell a wildcard). */
function ipv6(hex: string): string {
  if (/^0+$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  return hex;
}

/**
 * The local addresses that listen on TCP `port`, as the kernel reports them (Linux
 * /proc/net/tcp and tcp6, state 0A = LISTEN): what is really bound, whatever the code claims.
 *
 * @example
 * listeningAddresses(8000); // ['127.0.0.1']
 */
export function listeningAddresses(port: number): string[] {
  return tcpRows()
    .filter((row) => row.state === '0A' && row.localPort === port && row.localAddress !== '')
    .map((row) => (row.family === 4 ? ipv4 : ipv6)(row.localAddress));
}
