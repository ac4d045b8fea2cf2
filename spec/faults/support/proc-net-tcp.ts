import { readFileSync } from 'node:fs';

/** One socket of the kernel's TCP tables: its local address (hex, as the table has it), port and state. */
export interface TcpRow {
  readonly family: 4 | 6;
  readonly localAddress: string;
  readonly localPort: number;
  /** The kernel's state code: `01` ESTABLISHED, `0A` LISTEN, `06` TIME_WAIT, ... */
  readonly state: string;
}

/** Every row of /proc/net/tcp and /proc/net/tcp6 (a table the kernel lacks, e.g. no IPv6, is skipped). */
export function tcpRows(): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const [file, family] of [
    ['/proc/net/tcp', 4],
    ['/proc/net/tcp6', 6],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || !state) continue;
      const [localAddress, portHex] = local.split(':');
      rows.push({ family, localAddress: localAddress ?? '', localPort: parseInt(portHex ?? '', 16), state });
    }
  }
  return rows;
}
