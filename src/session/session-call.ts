import type { Observable } from 'rxjs';
import type { ErrorContext } from '../errors/openenv-error.js';
import { SessionStateError } from '../errors/usage-errors.js';
import { Call, fromRequest, type Reply } from '../internal/call.js';
import { withContext } from '../internal/error-context.js';
import type { Transport } from '../transport/transport.js';

export type RequestName = NonNullable<ErrorContext['request']>;

/**
 * What every request of one session shares: the episode position (for error context: step 0 is
 * the reset, 1 the first step), whether it is closed, and the last request error (see
 * `sessionFailure$`). One object, read and written by the parts `createSession` is made of.
 */
export class SessionState {
  stepIndex = 0;
  episodeId: string | null = null;
  closed = false;
  /** The last request error, as received and as delivered (with the session's context). */
  lastFailure: { raw: unknown; delivered: unknown } | undefined;
  /** The reset or step last sent (settled once answered): a dead connection is reported as its failure. */
  onWire: { readonly settled: boolean; readonly context: ErrorContext } | undefined;

  constructor(
    readonly env: string,
    readonly transport: Transport,
  ) {}

  /** `{ env, url, transport, request, stepIndex, episodeId }`. */
  context(request: RequestName | undefined, stepIndex: number, episodeId: string | null): ErrorContext {
    const { transport } = this;
    return { env: this.env, url: transport.url, transport: transport.kind, request, stepIndex, episodeId };
  }

  /** The error of a request sent after `close()` (nothing is sent). */
  closedError(call: { readonly name: RequestName; readonly context: ErrorContext }): SessionStateError {
    return new SessionStateError(`Session ${this.env} is closed: ${call.name}() cannot be sent`, call.context);
  }
}

/**
 * ONE request of a session on its transport: maps the answer with `project` (a throw fails the
 * request), adds the session's context to any error (built only when an error needs it) and
 * records it as the session's last failure. The reset/step path and every Observable method of
 * the session use it.
 */
export class SessionCall<W, T> extends Call<W> {
  private ctx: ErrorContext | undefined;

  constructor(
    private readonly state: SessionState,
    private readonly reply: Reply<T>,
    readonly name: RequestName,
    private readonly index: number,
    /** The episode id as known when the request started (for a reset: the id it sends). */
    readonly episode: string | null,
    private readonly project: (value: W, call: SessionCall<W, T>) => T,
  ) {
    super();
  }

  /** `{ env, url, transport, request, stepIndex, episodeId }` as known when the request started. */
  get context(): ErrorContext {
    return (this.ctx ??= this.state.context(this.name, this.index, this.episode));
  }

  protected answered(value: W): void {
    let result: T;
    try {
      result = this.project(value, this);
    } catch (error) {
      return this.failed(error);
    }
    this.reply.value(result);
  }

  protected failed(error: unknown): void {
    const delivered = withContext(error, this.context);
    this.state.lastFailure = { raw: error, delivered };
    this.reply.error(delivered);
  }
}

/** Where a request's step index comes from: the current position, the step after it, or fixed. */
export type StepAt = number | 'next' | 'current';

/**
 * A session request as an Observable (state, health, schema, metadata, tool calls): `send` makes
 * the transport's Observable (it may throw), `project` maps its value; refused after `close()`.
 * `at` gives the step index of the error context, `episode` the episode id (the current one when undefined).
 */
export function sessionObservable<W, T>(
  state: SessionState,
  name: RequestName,
  send: (call: SessionCall<W, T>) => Observable<W>,
  project: (value: W, call: SessionCall<W, T>) => T,
  at: StepAt = 'current',
): Observable<T> {
  return fromRequest<T>((reply) => {
    const index = at === 'next' ? state.stepIndex + 1 : at === 'current' ? state.stepIndex : at;
    const call = new SessionCall<W, T>(state, reply, name, index, state.episodeId, project);
    if (state.closed) {
      call.error(state.closedError(call));
      return call;
    }
    let source$: Observable<W>;
    try {
      source$ = send(call);
    } catch (error) {
      call.error(error);
      return call;
    }
    return call.listen(source$);
  });
}
