import { catchError, concatAll, defer, EMPTY, mergeMap, Observable, throwError, type Observer, type Unsubscribable } from 'rxjs';
import { checkToolArguments, createToolApi } from '../tools/tool-api.js';
import type { AnyToolSchemas, ToolSchemas } from '../tools/tool-types.js';
import type { z } from 'zod';
import { ActionValidationError, ResponseValidationError, StatelessHttpError } from '../errors/protocol-errors.js';
import type { ErrorContext } from '../errors/openenv-error.js';
import { SessionStateError } from '../errors/usage-errors.js';
import type { Transport, WireResetData, WireStepResult } from '../transport/transport.js';
import { directOf, type ReplySink } from '../transport/direct-request.js';
import { claimStatefulServer } from '../transport/stateful-server-claims.js';
import { SESSION_REQUEST, type SessionRequest } from './session-request.js';
import { withContext } from '../internal/error-context.js';
import { isPlainRecord, isRecord } from '../internal/is-record.js';
import { isRouteMissing } from '../internal/route-missing.js';
import { JsonObjectSchema, type EnvSpec } from './env-spec.js';
import { runEpisode } from './episode.js';
import { runEpisodes } from './episodes.js';
import { runSteps } from './run-steps.js';
import type { EnvSession, ResetOptions, StepResult } from './types.js';

/** Options of `createSession`. */
export interface SessionOptions {
  /** Validate replies against the observation/state schemas. Default true. */
  validateResponses?: boolean;
  /** Run episodes even when the transport is stateless HTTP (see `EnvSession.checkEpisodes`). Default false. */
  allowStatelessEpisodes?: boolean;
  /** Let this session share a generation-A server with others of this process (see `TransportOptions.shareStatefulServer`). Default false. */
  shareStatefulServer?: boolean;
}

/** An `EnvSession` plus what its owner (`defineEnv`) needs to run and end it. */
export interface ManagedEnvSession<A, O, S, T extends ToolSchemas = AnyToolSchemas> extends EnvSession<A, O, S, T> {
  /** `transport.failure$` with the session's context added to its error. */
  readonly failure$: Observable<never>;
  /** True once `close()` ran: every later call errors with `SessionStateError`. */
  readonly closed: boolean;
  /** Idempotent. Closes the transport; later calls error with `SessionStateError`. */
  close(): void;
}

type Request = NonNullable<ErrorContext['request']>;

const identity = <T>(value: T): T => value;

/**
 * Wraps a `Transport` into a typed `EnvSession`: actions are checked against `spec.action` before
 * anything is sent, replies against `spec.observation`/`spec.state`, and every error that passes
 * through gets `{ env, url, transport, stepIndex, episodeId }` context.
 *
 * Every method is cold. A `step` before any `reset` is passed to the server as-is: OpenEnv servers
 * decide what it means (most step a freshly built env). After `close()` every call errors with a
 * `SessionStateError` (never throws synchronously). Most users get sessions from `defineEnv`,
 * which owns the transport; call this directly only with a transport you manage yourself.
 *
 * @example
 * const session = createSession(transport, { name: 'echo', action: z.object({ message: z.string() }) });
 * session.reset({ seed: 1 }).pipe(concatMap(() => session.step({ message: 'hi' }))).subscribe(console.log);
 */
export function createSession<A, O, S, T extends ToolSchemas = AnyToolSchemas>(
  transport: Transport,
  spec: EnvSpec<A, O, S>,
  options: SessionOptions = {},
): ManagedEnvSession<A, O, S, T> {
  const validateResponses = options.validateResponses ?? true;
  // Episode position, for error context: 0 is the reset, 1 the first step.
  let stepIndex = 0;
  let episodeId: string | null = null;
  let closed = false;
  // The last request error, as received and as delivered: when a dead connection fails the request
  // in flight and failure$ with one error, the session fails with the request's (its step, its request).
  let lastFailure: { raw: unknown; delivered: unknown } | undefined;
  // Whether consecutive requests reach one env: known from the transport, or learnt once from GET /schema.
  let stateful = options.allowStatelessEpisodes === true || transport.kind === 'ws' ? true : transport.stateful;
  // Held while this session uses a generation-A server it found itself (transport 'http' forced).
  let releaseClaim: (() => void) | undefined;

  const context = (request: Request | undefined, index: number, episode: string | null): ErrorContext => ({
    env: spec.name,
    url: transport.url,
    transport: transport.kind,
    request,
    stepIndex: index,
    episodeId: episode,
  });
  const owner: CallOwner = {
    context,
    failed: (raw, delivered) => {
      lastFailure = { raw, delivered };
    },
  };

  /**
   * Runs `send` unless closed, maps its value with `project`, and adds context (as known when the
   * request started: `at` is the step index, `next` the one after the last step; `episode` the
   * episode id, the current one when undefined) to any error. One hand-written Observable with one
   * observer object instead of defer + catchError + map + tap: every step goes through here.
   */
  function request<W, T>(
    name: Request,
    send: (call: RequestContext) => Observable<W>,
    project: (value: W, call: RequestContext) => T,
    at: number | 'next' | 'current' = 'current',
    episode?: string | null,
  ): Observable<T> {
    return new Observable<T>((subscriber) => {
      const index = at === 'next' ? stepIndex + 1 : at === 'current' ? stepIndex : at;
      const call = new SessionCall<W, T>(owner, subscriber, name, index, episode === undefined ? episodeId : episode, project);
      if (closed) {
        subscriber.error(new SessionStateError(`Session ${spec.name} is closed: ${name}() cannot be sent`, call.context));
        return undefined;
      }
      let source: Observable<W>;
      try {
        source = send(call);
      } catch (error) {
        call.error(error);
        return undefined;
      }
      return source.subscribe(call);
    });
  }

  function checked<T>(schema: z.ZodType<T> | undefined, value: unknown, what: 'observation' | 'state', call: RequestContext): T {
    if (!schema || !validateResponses) return value as T;
    const result = schema.safeParse(value);
    if (!result.success) throw new ResponseValidationError(result.error.issues, value, what, call.context);
    return result.data;
  }

  const toResult = (wire: WireStepResult, call: RequestContext): StepResult<O> => ({
    observation: checked(spec.observation, wire.observation, 'observation', call),
    reward: wire.reward,
    done: wire.done,
    truncated: false,
  });

  /** The wire carries JSON objects only, whatever the action schema's output type is. */
  function wireAction(value: unknown, action: A, call: RequestContext): Record<string, unknown> {
    // Hot path: a plain object without symbol keys or an own `__proto__` passes the record
    // schema unchanged, so a shallow copy (what zod would return) is enough.
    if (isPlainRecord(value)) return { ...value };
    const wire = JsonObjectSchema.safeParse(value);
    if (!wire.success) throw new ActionValidationError(wire.error.issues, action, call.context);
    return wire.data;
  }

  const declaredTools = typeof spec.tools === 'object' ? spec.tools : undefined;
  // zod's object schemas output a fresh plain object with string keys only (never an own
  // `__proto__`): exactly what the wire check would return, so their output goes out as is.
  const actionIsObject = spec.action?.def.type === 'object'; // zod's public `def` (classic and mini, since 4.0), read once per session
  const tools = createToolApi<T>({
    env: spec.name,
    tools: spec.tools,
    // A tool step is an episode step: it moves stepIndex like `step()`, even when the tool failed.
    step: (action, project) =>
      request(
        'step',
        () => transport.step(action),
        (wire, call) => {
          stepIndex += 1;
          return project(wire, call.context);
        },
        'next',
      ),
    mcp: (method, params, project) =>
      request(
        'mcp',
        (call) => {
          if (!transport.mcp) throw new SessionStateError(`The ${transport.kind} transport of env ${spec.name} cannot send JSON-RPC (mcp)`, call.context);
          return transport.mcp(method, params);
        },
        (reply, call) => project(reply, call.context),
      ),
  });

  /** The reply of a reset: resets the episode position (the id sent is the call's episode). */
  const projectReset = (wire: WireStepResult, call: RequestContext): StepResult<O> => {
    const result = toResult(wire, call);
    stepIndex = 0;
    episodeId = call.episode;
    return result;
  };

  const projectStep = (wire: WireStepResult, call: RequestContext): StepResult<O> => {
    const result = toResult(wire, call);
    stepIndex += 1;
    return result;
  };

  // Looked up once: a transport carries its direct path from the moment it is emitted.
  const transportDirect = directOf(transport);

  /** A reset or step on the transport: its direct path when it has one, else its Observable. */
  function transportRequest(kind: 'reset' | 'step', data: Record<string, unknown>, call: SessionCall<WireStepResult, StepResult<O>>): Unsubscribable | undefined {
    try {
      if (transportDirect) return transportDirect.send(kind, data, call);
      return (kind === 'step' ? transport.step(data) : transport.reset(data)).subscribe(call);
    } catch (error) {
      call.error(error);
      return undefined;
    }
  }

  /** `reset(options).subscribe(sink)`, without the Observable (the episode loop's path). */
  function sendReset(resetOptions: ResetOptions, sink: ReplySink<StepResult<O>>): Unsubscribable | undefined {
    const call = new SessionCall<WireStepResult, StepResult<O>>(owner, sink, 'reset', 0, resetOptions.episodeId ?? null, projectReset);
    if (closed) return call.closed(spec.name);
    const data: WireResetData = {};
    if (resetOptions.seed !== undefined) data['seed'] = resetOptions.seed;
    if (resetOptions.episodeId !== undefined) data['episode_id'] = resetOptions.episodeId;
    Object.assign(data, resetOptions.extra);
    return transportRequest('reset', data, call);
  }

  /** `step(action).subscribe(sink)`, without the Observable (the episode loop's path). */
  function sendStep(action: A, sink: ReplySink<StepResult<O>>): Unsubscribable | undefined {
    const call = new SessionCall<WireStepResult, StepResult<O>>(owner, sink, 'step', stepIndex + 1, episodeId, projectStep);
    if (closed) return call.closed(spec.name);
    let wire: Record<string, unknown>;
    try {
      // Validate before sending: a bad action must never reach the server.
      if (declaredTools && isRecord(action) && action['type'] === 'call_tool' && typeof action['tool_name'] === 'string') {
        // A tool call from a policy or `steps()`: its arguments are checked like `callTool`'s.
        const value = { ...action, arguments: checkToolArguments(declaredTools, action['tool_name'], action['arguments'] ?? {}, call.context) };
        wire = wireAction(value, action, call);
      } else if (spec.action) {
        const parsed = spec.action.safeParse(action);
        if (!parsed.success) throw new ActionValidationError(parsed.error.issues, action, call.context);
        wire = actionIsObject ? (parsed.data as Record<string, unknown>) : wireAction(parsed.data, action, call);
      } else {
        wire = wireAction(action, action, call);
      }
    } catch (error) {
      call.error(error);
      return undefined;
    }
    return transportRequest('step', wire, call);
  }

  const session: ManagedEnvSession<A, O, S, T> = {
    ...tools,
    name: spec.name,
    url: transport.url,
    transport: transport.kind,
    get closed() {
      return closed;
    },

    reset: (resetOptions: ResetOptions = {}) => new Observable<StepResult<O>>((subscriber) => sendReset(resetOptions, subscriber)),

    step: (action: A) => new Observable<StepResult<O>>((subscriber) => sendStep(action, subscriber)),

    state() {
      return request('state', () => transport.state(), (body, call) => checked(spec.state, body, 'state', call));
    },

    steps: (action$, stepsOptions) => runSteps(session.step, action$, stepsOptions),

    health: () => request('health', () => transport.health(), identity),
    schema: () => request('schema', () => transport.schema(), identity),
    metadata: () => request('metadata', () => transport.metadata(), identity),

    episode: (policy, episodeOptions) => runEpisode(session, policy, episodeOptions),
    episodes: (policy, episodesOptions) => runEpisodes(session, policy, episodesOptions),
    episodesFlat: (policy, episodesOptions) => session.episodes(policy, episodesOptions).pipe(concatAll()),

    checkEpisodes() {
      if (stateful === true) return EMPTY;
      return defer(() => {
        if (stateful === true) return EMPTY;
        const ctx: ErrorContext = { env: spec.name, url: transport.url, transport: transport.kind };
        if (stateful === false) return throwError(() => new StatelessHttpError(ctx));
        // Generation A has no /schema (404/405) and keeps one env over HTTP; B and later answer 200.
        return session.schema().pipe(
          catchError((error: unknown) => {
            if (!isRouteMissing(error)) return throwError(() => error);
            // Generation A (one env behind HTTP) found behind a forced 'http': claimed as the auto probe would.
            if (!options.shareStatefulServer && !closed) {
              try {
                releaseClaim = claimStatefulServer(transport.url, ctx);
              } catch (busy) {
                return throwError(() => busy);
              }
            }
            stateful = true;
            return EMPTY;
          }),
          mergeMap(() => {
            stateful = false;
            return throwError(() => new StatelessHttpError(ctx));
          }),
        );
      });
    },

    failure$: transport.failure$.pipe(
      catchError((error: unknown) =>
        throwError(() => {
          const failed = lastFailure;
          return failed !== undefined && failed.raw === error ? failed.delivered : withContext(error, context(undefined, stepIndex, episodeId));
        }),
      ),
    ),

    close() {
      if (closed) return;
      closed = true;
      releaseClaim?.();
      transport.close();
    },
  };
  const direct: SessionRequest<A, O> = { owner: session, reset: sendReset, step: sendStep };
  return Object.assign(session, { [SESSION_REQUEST]: direct });
}

/** A request's error context (built when first read) and the episode it belongs to. */
interface RequestContext {
  readonly context: ErrorContext;
  readonly episode: string | null;
}

/** What a `SessionCall` needs from its session. */
interface CallOwner {
  context(request: Request, index: number, episode: string | null): ErrorContext;
  /** Records the last request failure (see `failure$`). */
  failed(raw: unknown, delivered: unknown): void;
}

/**
 * The observer of one request on the transport: maps its value with `project`, adds the
 * session's context to its error. Its context is built only when an error needs it.
 */
class SessionCall<W, T> implements Observer<W>, RequestContext {
  private ctx: ErrorContext | undefined;

  constructor(
    private readonly owner: CallOwner,
    private readonly subscriber: ReplySink<T>,
    private readonly name: Request,
    private readonly index: number,
    /** The episode id as known when the request started (for a reset: the id it sends). */
    readonly episode: string | null,
    private readonly project: (value: W, call: RequestContext) => T,
  ) {}

  /** `{ env, url, transport, request, stepIndex, episodeId }` as known when the request started. */
  get context(): ErrorContext {
    return (this.ctx ??= this.owner.context(this.name, this.index, this.episode));
  }

  next(value: W): void {
    let result: T;
    try {
      result = this.project(value, this);
    } catch (error) {
      this.error(error);
      return;
    }
    this.subscriber.next(result);
  }

  error(error: unknown): void {
    const delivered = withContext(error, this.context);
    this.owner.failed(error, delivered);
    this.subscriber.error(delivered);
  }

  complete(): void {
    this.subscriber.complete();
  }

  /** Refuses the request of a closed session (nothing is sent). */
  closed(env: string): undefined {
    this.subscriber.error(new SessionStateError(`Session ${env} is closed: ${this.name}() cannot be sent`, this.context));
    return undefined;
  }
}
