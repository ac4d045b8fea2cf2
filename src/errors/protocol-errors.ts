import type { z } from 'zod';
import { OpenEnvError, type ErrorContext } from './openenv-error.js';
import type { ValidationIssue } from '../protocol/http-messages.js';
import { describeBody } from './describe-body.js';
import { describeIssues, issuePaths } from './describe-issues.js';

/** An action failed the env's action schema. Nothing was sent. */
export class ActionValidationError extends OpenEnvError {
  constructor(
    readonly issues: readonly z.core.$ZodIssue[],
    readonly action: unknown,
    context: ErrorContext = {},
  ) {
    super(`Invalid action: ${describeIssues(issues)}`, 'ERR_ACTION_INVALID', context);
  }
  /** Dotted paths of the offending fields. */
  get fields(): string[] {
    return issuePaths(this.issues);
  }
}

/** A well-formed server reply did not match the env's observation or state schema. */
export class ResponseValidationError extends OpenEnvError {
  constructor(
    readonly issues: readonly z.core.$ZodIssue[],
    readonly body: unknown,
    readonly what: 'observation' | 'state' | 'response',
    context: ErrorContext = {},
  ) {
    super(`Server sent an invalid ${what}: ${describeIssues(issues)}`, 'ERR_RESPONSE_INVALID', context);
  }
  /** Dotted paths of the fields of the reply that failed the schema. */
  get fields(): string[] {
    return issuePaths(this.issues);
  }
}

/** The server broke the wire protocol: malformed JSON, wrong envelope, unsolicited or binary frame. */
export class ProtocolError extends OpenEnvError {
  constructor(
    message: string,
    readonly raw: string | undefined,
    context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, 'ERR_PROTOCOL', context, options);
  }
}

/**
 * An HTTP answer with a non-2xx status. `detail` holds FastAPI's `detail` (the pydantic list of a
 * 422, the string of a 404/405). A body that is not JSON is described by its content type and
 * first line (`HTTP 502, text/html: <!DOCTYPE html> ...`), never quoted whole; `body` keeps the
 * start of it.
 */
export class HttpStatusError extends OpenEnvError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly detail: ValidationIssue[] | string | undefined,
    context: ErrorContext = {},
    /** The `content-type` header of the answer, when known. */
    readonly contentType?: string,
  ) {
    const what =
      typeof detail === 'string'
        ? `: ${detail}`
        : Array.isArray(detail)
          ? `: ${detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; ')}`
          : typeof body === 'string'
            ? `, ${describeBody(contentType, body)}`
            : '';
    super(`HTTP ${status}${what}`, 'ERR_HTTP_STATUS', context);
  }
}

/** A `{"type":"error"}` frame. `serverCode` is one of the seven WS codes (or whatever the server sent). */
export class ServerError extends OpenEnvError {
  constructor(
    readonly serverCode: string,
    readonly serverMessage: string,
    readonly data: Record<string, unknown>,
    context: ErrorContext = {},
    code: 'ERR_SERVER' | 'ERR_CAPACITY' | 'ERR_SESSION_IDLE' = 'ERR_SERVER',
  ) {
    super(`Server error ${serverCode}: ${serverMessage}`, code, context);
  }
  /** Pydantic issues of a VALIDATION_ERROR frame. */
  get issues(): ValidationIssue[] {
    return Array.isArray(this.data['errors']) ? (this.data['errors'] as ValidationIssue[]) : [];
  }
}

/** The server is at its session limit (`CAPACITY_REACHED`). Retry later or lower concurrency. */
export class CapacityError extends ServerError {
  constructor(
    serverMessage: string,
    data: Record<string, unknown>,
    context: ErrorContext = {},
  ) {
    super('CAPACITY_REACHED', serverMessage, data, context, 'ERR_CAPACITY');
  }
  /** Sessions the server had open when it refused (its `active_sessions`), when it said. */
  get activeSessions(): number | undefined {
    return typeof this.data['active_sessions'] === 'number' ? this.data['active_sessions'] : undefined;
  }
  /** The server's session limit (its `max_sessions`), when it said. */
  get maxSessions(): number | undefined {
    return typeof this.data['max_sessions'] === 'number' ? this.data['max_sessions'] : undefined;
  }
}

/**
 * A second session of this process to a generation-A server (stateful HTTP: `/reset` and `/step`
 * drive the server's ONE env, and `/ws` does not exist) while another one is open. Both sessions
 * would step the same env and see each other's moves, so the second is refused before anything is
 * sent. Run one session per generation-A server, or pass `{ shareStatefulServer: true }` when the
 * sessions are meant to share that env. `context.url` names the server.
 *
 * @example
 * const first = connectUrl(legacyUrl).subscribe(() =>
 *   connectUrl(legacyUrl).subscribe({
 *     error: (e) => {
 *       if (e instanceof StatefulServerBusyError) console.log(e.code); // ERR_STATEFUL_SERVER_BUSY
 *       first.unsubscribe();
 *     },
 *   }),
 * );
 */
export class StatefulServerBusyError extends OpenEnvError {
  constructor(context: ErrorContext = {}) {
    super(
      `Refusing a second session to ${context.url ?? 'this server'}: it is an OpenEnv generation-A server (no /schema, no /ws), ` +
        'whose HTTP routes step ONE shared env, and another session of this process is using it; parallel sessions would step each ' +
        'other\'s episodes. Use one session per generation-A server, or pass { shareStatefulServer: true } if they are meant to share it',
      'ERR_STATEFUL_SERVER_BUSY',
      context,
    );
  }
}

/**
 * The server closed the session because it sat idle longer than the server's idle timeout
 * (`serve()`'s `idleTimeoutMs`: a SESSION_ERROR frame with `reason: "idle_timeout"`, or close
 * code 4408). Nothing was lost in flight: open a new session, or raise the server's timeout.
 *
 * @example
 * const server = await serve(echoEnv, { idleTimeoutMs: 1_000 });
 * Echo.connect(server.url).subscribe({
 *   error: (e) => {
 *     if (e instanceof SessionIdleError) console.log(e.idleTimeoutMs); // 1000: nothing was sent for a second
 *     void server.close();
 *   },
 * });
 */
export class SessionIdleError extends ServerError {
  constructor(serverMessage: string, data: Record<string, unknown>, context: ErrorContext = {}) {
    super('SESSION_ERROR', serverMessage, data, context, 'ERR_SESSION_IDLE');
  }
  /** The server's idle timeout, when it said. */
  get idleTimeoutMs(): number | undefined {
    return typeof this.data['idle_timeout_ms'] === 'number' ? this.data['idle_timeout_ms'] : undefined;
  }
}

/**
 * `episode()`/`episodes()` over `transport: 'http'` against a server that keeps no state between
 * HTTP requests (generation B or later: it has `/ws`, and each HTTP `/reset` and `/step` runs on a
 * freshly built env that is thrown away). Every step of such an "episode" would start from
 * scratch, so the loop is refused before the reset is sent. Use `transport: 'ws'` or `'auto'`
 * (the default); pass `allowStatelessEpisodes: true` to send the stateless requests anyway.
 *
 * @example
 * Echo.connect(url, { transport: 'http' }).pipe(switchMap((env) => env.episode(policy))).subscribe({
 *   error: (e) => e instanceof StatelessHttpError && console.log(e.message), // "... use transport 'ws' ..."
 * });
 */
export class StatelessHttpError extends OpenEnvError {
  constructor(context: ErrorContext = {}) {
    super(
      "Refusing to run an episode over transport 'http': this server keeps no state between HTTP requests " +
        '(GET /schema answers 200, so it is OpenEnv generation B or later, where every HTTP /reset and /step builds a fresh env). ' +
        "Use transport 'ws' or 'auto' (the default) for episodes; pass { allowStatelessEpisodes: true } to send single stateless requests anyway",
      'ERR_STATELESS_HTTP',
      context,
    );
  }
}
