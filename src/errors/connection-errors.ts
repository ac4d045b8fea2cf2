import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * Every phase a `TimeoutError` is emitted for, and only those: `connect` (WS handshake, TCP/TLS
 * connect of an HTTP request), `reply` (an answer to a request), `keepalive` (no pong to a WS
 * keepalive ping: a half-open socket), `pull` (an image pull), `start` (a runtime's server
 * turning healthy), `stop` (a swarm service's task gone after removal), `step` and `episode` (the `stepTimeout`/`episodeTimeout` operators).
 */
export const TIMEOUT_PHASES = ['connect', 'reply', 'keepalive', 'pull', 'start', 'stop', 'step', 'episode'] as const;
/**
 * Where a `TimeoutError` happened: one of `TIMEOUT_PHASES`.
 *
 * @example
 * catchError((error: unknown) => {
 *   if (error instanceof TimeoutError && error.phase === 'reply') console.error('the server stopped answering');
 *   return throwError(() => error);
 * })
 */
export type TimeoutPhase = (typeof TIMEOUT_PHASES)[number];

/** Something did not answer in time. `phase` says what was awaited, `timeoutMs` for how long. */
export class TimeoutError extends OpenEnvError {
  constructor(
    readonly phase: TimeoutPhase,
    readonly timeoutMs: number,
    context: ErrorContext = {},
    message?: string,
  ) {
    super(message ?? `Timed out after ${timeoutMs} ms waiting for ${phase}`, 'ERR_TIMEOUT', context);
  }
}

/** Could not reach the server (refused, reset, DNS, TLS). `cause` holds the system error. */
export class ConnectionError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_CONNECTION', context, options);
  }
  /** The system error code (`ECONNREFUSED`, `ECONNRESET`, ...) when there is one. */
  get systemCode(): string | undefined {
    const cause = this.cause as { code?: unknown } | undefined;
    return typeof cause?.code === 'string' ? cause.code : undefined;
  }
}

/** The connection closed while a request was pending, or a request was made on a closed session. */
export class ConnectionClosedError extends OpenEnvError {
  constructor(
    message: string,
    readonly closeCode: number | undefined,
    readonly reason: string | undefined,
    context: ErrorContext = {},
    /** `cause`: what made the client discard the socket (e.g. the `TimeoutError` of a frozen server). */
    options?: { cause?: unknown },
  ) {
    super(message, 'ERR_CONNECTION_CLOSED', context, options);
  }
}
