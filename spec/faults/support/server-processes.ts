import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../../../src/runtime/process/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../../fixtures/test-image.js';
import { tcpRows } from './proc-net-tcp.js';

/** The fault matrix's env module (per-session step counter, echo, ledger, hold/delay gates). */
export const SEQ_ENV = repoPath('spec/faults/matrix/support/seq-env.mjs');

/** One server child process on a fixed port: `openenv-rx serve` (the built CLI) of the seq env, or the command of `ServerFleetOptions`. */
export interface ServerProcess {
  /** `s0`, `s1`, ...: what its observations carry as `server`. */
  readonly id: string;
  readonly port: number;
  readonly url: string;
  /** The pid of the process running now (changes on restart); undefined while it is down. */
  readonly pid: number | undefined;
  /** Every pid this server ever had (to check that none is left alive). */
  readonly pids: readonly number[];
  /** SIGKILL; resolves once the process is gone (its port closed). */
  kill(): Promise<void>;
  /** SIGSTOP: frozen, its sockets stay open, nothing is answered (the kernel still accepts connections). */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  /** SIGTERM (an orderly stop: sockets closed); resolves once it exited. */
  stop(): Promise<void>;
  /** Starts the server again on the same port (after kill/stop, or for a server that never ran: a port closed until now). */
  start(): Promise<void>;
  /** Steps this server's env received (its ledger lines, over every restart). */
  ledger(): string[];
  /** Sessions (TCP connections) open on its port right now, read from the kernel's table. */
  openConnections(): number;
}

export interface ServerFleetOptions {
  /** Sessions each server accepts (`--max-sessions`); one more is refused with CAPACITY_REACHED. */
  maxSessions: number;
  /** Servers that are not started at first: their port is reserved and closed (`start()` later). */
  notStarted?: number[];
  /**
   * Another server than `openenv-rx serve` of the seq env (e.g. OpenEnv's under uvicorn): the
   * command for one port. It must print `127.0.0.1:<port>` (stdout or stderr) once it listens, and
   * honour MATRIX_LEDGER and MATRIX_SERVER_ID as seq-env.mjs does.
   */
  command?: (port: number, maxSessions: number) => ServerCommand;
  /** How long a start may take before it fails. Default 30 s. */
  startTimeoutMs?: number;
}

/** One server's command line (see `ServerFleetOptions.command`). */
export interface ServerCommand {
  file: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
}

/** `openenv-rx serve` (the built CLI) of the seq env: the default server of a fleet. */
const seqServe = (port: number, maxSessions: number): ServerCommand => ({
  file: process.execPath,
  args: [CLI, 'serve', SEQ_ENV, '--port', String(port), '--max-sessions', String(maxSessions)],
  cwd: repoPath(),
});

const CLI = repoPath('dist/cli/main.js');

/** ESTABLISHED TCP connections whose local port is `port` (the server side of each session), from /proc/net/tcp{,6}. */
export function establishedOn(port: number): number {
  return tcpRows().filter((row) => row.state === '01' && row.localPort === port).length;
}

/** Whether a pid is a live process (a zombie counts as dead). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Starts `count` real `openenv-rx serve` processes of the seq env, each on its own port, each with
 * its own ledger, and gives the test the faults to inject: kill, freeze/thaw, stop, restart on
 * the same port. `close()` kills whatever still runs (for afterAll).
 *
 * @example
 * const fleet = await startServerFleet(2, { maxSessions: 2 });
 * await fleet.servers[0].kill(); await fleet.servers[0].start(); await fleet.close();
 */
export async function startServerFleet(count: number, options: ServerFleetOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-matrix-'));
  const servers = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const server = serverProcess(`s${i}`, await freePort(), join(dir, `s${i}.ledger`), options);
      if (!options.notStarted?.includes(i)) await server.start();
      return server;
    }),
  );
  return {
    servers,
    /** Ledger lines of every server, together. */
    ledger: () => servers.flatMap((s) => s.ledger()),
    /** Pids (of any start) still alive. */
    alive: () => servers.flatMap((s) => s.pids.filter(pidAlive)),
    /** Sessions open on any of the servers. */
    openConnections: () => servers.reduce((n, s) => n + s.openConnections(), 0),
    urls: () => servers.map((s) => s.url),
    async close(): Promise<void> {
      await Promise.all(servers.map((s) => (s.pid === undefined ? undefined : (s.thaw(), s.kill()))));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type ServerFleet = Awaited<ReturnType<typeof startServerFleet>>;

function serverProcess(id: string, port: number, ledgerPath: string, options: ServerFleetOptions): ServerProcess {
  const { file, args, cwd, env = {} } = (options.command ?? seqServe)(port, options.maxSessions);
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const pids: number[] = [];
  const signal = (name: NodeJS.Signals) => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, name);
  };
  const start = async (): Promise<void> => {
    if (child) throw new Error(`server ${id} is running already`);
    const started = spawn(file, args, {
      cwd,
      env: { ...process.env, ...env, MATRIX_LEDGER: ledgerPath, MATRIX_SERVER_ID: id },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    pids.push(started.pid!);
    exited = new Promise((resolve) =>
      started.once('exit', () => {
        if (child === started) child = undefined;
        resolve();
      }),
    );
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server ${id} did not listen within ${startTimeoutMs} ms: ${output}`)), startTimeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`127.0.0.1:${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout!.on('data', onData);
      started.stderr!.on('data', onData);
      started.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`server ${id} exited (${sig ?? code}) before it listened: ${output}`));
      });
    });
  };
  return {
    id,
    port,
    url: `http://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    pids,
    async kill() {
      signal('SIGKILL');
      await exited;
    },
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    async stop() {
      signal('SIGTERM');
      await exited;
    },
    start,
    ledger() {
      try {
        return readFileSync(ledgerPath, 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    openConnections: () => establishedOn(port),
  };
}
