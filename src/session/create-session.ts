import { catchError, concatAll, defer, EMPTY, mergeMap, Observable, throwError } from 'rxjs';
import { checkToolArguments, createToolApi } from '../tools/tool-api.js';
import type { AnyToolSchemas, ToolSchemas } from '../tools/tool-types.js';
import type { z } from 'zod';
import { ActionValidationError, ResponseValidationError, StatelessHttpError } from '../errors/protocol-errors.js';
import type { ErrorContext } from '../errors/openenv-error.js';
import { SessionStateError } from '../errors/usage-errors.js';
import type { Transport, WireResetData, WireStepResult } from '../transport/transport.js';
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

  const context = (request: Request | undefined, index: number, episode: string | null): ErrorContext => ({
    env: spec.name,
    url: transport.url,
    transport: transport.kind,
    request,
    stepIndex: index,
    episodeId: episode,
  });

  /**
   * Runs `send` unless closed, maps its value with `project`, and adds context (as known when the
   * request started) to any error. One hand-written Observable instead of defer + catchError +
   * map + tap: every step goes through here, and each operator layer showed in the profile.
   */
  function request<W, T>(
    name: Request,
    send: (ctx: ErrorContext) => Observable<W>,
    project: (value: W, ctx: ErrorContext) => T,
    position: () => { index: number; episode: string | null } = () => ({ index: stepIndex, episode: episodeId }),
  ): Observable<T> {
    return new Observable<T>((subscriber) => {
      const { index, episode } = position();
      const ctx = context(name, index, episode);
      if (closed) {
        subscriber.error(new SessionStateError(`Session ${spec.name} is closed: ${name}() cannot be sent`, ctx));
        return undefined;
      }
      const fail = (error: unknown): void => {
        const delivered = withContext(error, ctx);
        lastFailure = { raw: error, delivered };
        subscriber.error(delivered);
      };
      let source: Observable<W>;
      try {
        source = send(ctx);
      } catch (error) {
        fail(error);
        return undefined;
      }
      return source.subscribe({
        next: (value) => {
          let result: T;
          try {
            result = project(value, ctx);
          } catch (error) {
            fail(error);
            return;
          }
          subscriber.next(result);
        },
        error: fail,
        complete: () => subscriber.complete(),
      });
    });
  }

  function checked<T>(schema: z.ZodType<T> | undefined, value: unknown, what: 'observation' | 'state', ctx: ErrorContext): T {
    if (!schema || !validateResponses) return value as T;
    const result = schema.safeParse(value);
    if (!result.success) throw new ResponseValidationError(result.error.issues, value, what, ctx);
    return result.data;
  }

  const toResult = (wire: WireStepResult, ctx: ErrorContext): StepResult<O> => ({
    observation: checked(spec.observation, wire.observation, 'observation', ctx),
    reward: wire.reward,
    done: wire.done,
    truncated: false,
  });

  /** The wire carries JSON objects only, whatever the action schema's output type is. */
  function wireAction(value: unknown, action: A, ctx: ErrorContext): Record<string, unknown> {
    // Hot path: a plain object without symbol keys or an own `__proto__` passes the record
    // schema unchanged, so a shallow copy (what zod would return) is enough.
    if (isPlainRecord(value)) return { ...value };
    const wire = JsonObjectSchema.safeParse(value);
    if (!wire.success) throw new ActionValidationError(wire.error.issues, action, ctx);
    return wire.data;
  }

  const declaredTools = typeof spec.tools === 'object' ? spec.tools : undefined;
  const tools = createToolApi<T>({
    env: spec.name,
    tools: spec.tools,
    // A tool step is an episode step: it moves stepIndex like `step()`, even when the tool failed.
    step: (action, project) =>
      request(
        'step',
        () => transport.step(action),
        (wire, ctx) => {
          stepIndex += 1;
          return project(wire, ctx);
        },
        () => ({ index: stepIndex + 1, episode: episodeId }),
      ),
    mcp: (method, params, project) =>
      request(
        'mcp',
        (ctx) => {
          if (!transport.mcp) throw new SessionStateError(`The ${transport.kind} transport of env ${spec.name} cannot send JSON-RPC (mcp)`, ctx);
          return transport.mcp(method, params);
        },
        project,
      ),
  });

  const session: ManagedEnvSession<A, O, S, T> = {
    ...tools,
    name: spec.name,
    url: transport.url,
    transport: transport.kind,
    get closed() {
      return closed;
    },

    reset(resetOptions: ResetOptions = {}) {
      const sentId = resetOptions.episodeId ?? null;
      return request(
        'reset',
        () => {
          const data: WireResetData = {};
          if (resetOptions.seed !== undefined) data['seed'] = resetOptions.seed;
          if (resetOptions.episodeId !== undefined) data['episode_id'] = resetOptions.episodeId;
          Object.assign(data, resetOptions.extra);
          return transport.reset(data);
        },
        (wire, ctx) => {
          const result = toResult(wire, ctx);
          stepIndex = 0;
          episodeId = sentId;
          return result;
        },
        () => ({ index: 0, episode: sentId }),
      );
    },

    step(action: A) {
      return request(
        'step',
        (ctx) => {
          // Validate before sending: a bad action must never reach the server.
          let value: unknown = action;
          if (declaredTools && isRecord(action) && action['type'] === 'call_tool' && typeof action['tool_name'] === 'string') {
            // A tool call from a policy or `steps()`: its arguments are checked like `callTool`'s.
            value = { ...action, arguments: checkToolArguments(declaredTools, action['tool_name'], action['arguments'] ?? {}, ctx) };
          } else if (spec.action) {
            const parsed = spec.action.safeParse(action);
            if (!parsed.success) throw new ActionValidationError(parsed.error.issues, action, ctx);
            value = parsed.data;
          }
          return transport.step(wireAction(value, action, ctx));
        },
        (wire, ctx) => {
          const result = toResult(wire, ctx);
          stepIndex += 1;
          return result;
        },
        () => ({ index: stepIndex + 1, episode: episodeId }),
      );
    },

    state() {
      return request('state', () => transport.state(), (body, ctx) => checked(spec.state, body, 'state', ctx));
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
      transport.close();
    },
  };
  return session;
}
