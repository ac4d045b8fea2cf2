import type { TeardownErrorHandler } from '../report-teardown-error.js';

/** Options of `processEndpoint` and `Env.fromProcess`: port, environment, working directory, start and stop timeouts. */
export interface ProcessEndpointOptions {
  /**
   * Port the server listens on. 0 or absent: a free port is picked by binding 127.0.0.1:0 first
   * (a small race: another process may grab it before the server binds; the start then fails
   * with the server's exit and log tail). It replaces `{port}` in args and is set as `PORT`.
   */
  port?: number;
  /** Extra environment, over `process.env`. */
  env?: Record<string, string>;
  cwd?: string;
  /** Spawn to healthy. Default 60 000 ms; then `TimeoutError` phase `start`. */
  startTimeoutMs?: number;
  /** Pause between `/health` probes. Default 50 ms. */
  healthIntervalMs?: number;
  /** SIGTERM to SIGKILL. Default 2 000 ms. */
  stopGraceMs?: number;
  /** Base URL when the server is not at `http://127.0.0.1:<port>`; `{port}` is substituted. */
  url?: string;
  /** Lines of output kept for `ServerExitedError`. Default 50. */
  logTailLines?: number;
  /** Stop errors go here. Default: `process.emitWarning`. */
  onTeardownError?: TeardownErrorHandler;
  /** Called once the process group is gone (or was never spawned) after unsubscribe, complete or error. */
  onStopped?: (info: { pid?: number }) => void;
  /** Stop the groups that dead openenv-rx processes left behind, once per process at the first start. Default true. */
  reap?: boolean;
  /**
   * Directory of the process registry (where each live group is recorded for the reaper).
   * Default `$OPENENV_RX_STATE_DIR`, else `<tmpdir>/openenv-rx-<uid>`.
   */
  stateDir?: string;
}
