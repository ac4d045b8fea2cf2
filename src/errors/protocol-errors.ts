import type { z } from 'zod';
import { OpenEnvError, type ErrorContext } from './openenv-error.js';
import type { ValidationIssue } from '../protocol/http-messages.js';

/** Names the fields of zod issues: `action`, `pos.x`, `(root)`. */
export function issuePaths(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => (i.path.length ? i.path.map(String).join('.') : '(root)'));
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`).join('; ');
}

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

/** An HTTP answer with a non-2xx status. `detail` holds the pydantic list of a 422. */
export class HttpStatusError extends OpenEnvError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly detail: ValidationIssue[] | string | undefined,
    context: ErrorContext = {},
  ) {
    const what =
      typeof detail === 'string'
        ? detail
        : Array.isArray(detail)
          ? detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; ')
          : typeof body === 'string'
            ? body.slice(0, 200)
            : '';
    super(`HTTP ${status}${what ? `: ${what}` : ''}`, 'ERR_HTTP_STATUS', context);
  }
}

/** A `{"type":"error"}` frame. `serverCode` is one of the seven WS codes (or whatever the server sent). */
export class ServerError extends OpenEnvError {
  constructor(
    readonly serverCode: string,
    readonly serverMessage: string,
    readonly data: Record<string, unknown>,
    context: ErrorContext = {},
    code = 'ERR_SERVER',
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
  get activeSessions(): number | undefined {
    return typeof this.data['active_sessions'] === 'number' ? this.data['active_sessions'] : undefined;
  }
  get maxSessions(): number | undefined {
    return typeof this.data['max_sessions'] === 'number' ? this.data['max_sessions'] : undefined;
  }
}
