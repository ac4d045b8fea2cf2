import { freePort } from '../../../src/runtime/process/free-port.js';
import { serveCli, type CliChild } from '../../cli/cli-child.js';

export { Echo } from '../../fixtures/typed-echo.js';

/** An `openenv-rx serve echo` child process at a URL that outlives it (restarted on the same port). */
export interface UrlServer {
  readonly url: string;
  readonly port: number;
  readonly cli: CliChild;
  /** Sends `signal` to the server process (SIGKILL, SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void;
}

/**
 * `openenv-rx serve echo --max-sessions <n>` as child processes for one describe block: `start()`
 * on any free port (or `port`, to restart a killed server on the same URL). Every server started
 * is killed after each test (a frozen one too: SIGKILL needs no SIGCONT).
 */
export function useUrlServers(): (options?: { port?: number; maxSessions?: number }) => Promise<UrlServer> {
  const running: CliChild[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((cli) => cli.stop('SIGKILL')));
  });
  return async ({ port = 0, maxSessions = 2 } = {}) => {
    const { cli, url } = await serveCli(['echo', '--port', String(port), '--max-sessions', String(maxSessions)]);
    running.push(cli);
    return {
      url,
      port: Number(new URL(url).port),
      cli,
      signal: (signal) => {
        if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill(signal);
      },
    };
  };
}

/** `http://127.0.0.1:<port>` where nothing listens: a port bound by the OS, then released. */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
