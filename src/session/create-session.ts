import { concatAll, type Observable } from 'rxjs';
import type { AnyToolSchemas, ToolSchemas } from '../tools/tool-types.js';
import { fromRequest } from '../internal/call.js';
import type { Transport } from '../transport/transport.js';
import { transportRequestOf } from '../transport/transport-request.js';
import { episodeCheck } from './check-episodes.js';
import type { EnvSpec } from './env-spec.js';
import { runEpisode } from './episode.js';
import { runEpisodes } from './episodes.js';
import { runSteps } from './run-steps.js';
import { sessionObservable, SessionState } from './session-call.js';
import { checkedReply } from './session-checks.js';
import { sessionFailure$ } from './session-failure.js';
import { createSessionRequest, registerSessionRequest } from './session-request.js';
import { sessionTools } from './session-tools.js';
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
  const state = new SessionState(spec.name, transport);
  // The one reset/step path: `reset()`/`step()` below, the episode loop and the vector's sub-envs all take it.
  const request = createSessionRequest<A, O>(state, spec, validateResponses, transportRequestOf(transport));
  const probe = episodeCheck(state, () => session.schema(), options);
  const identity = <V>(value: V): V => value;

  const session: ManagedEnvSession<A, O, S, T> = {
    ...sessionTools<T>(state, spec as EnvSpec<unknown, unknown, unknown>),
    name: spec.name,
    url: transport.url,
    transport: transport.kind,
    get closed() {
      return state.closed;
    },
    reset: (resetOptions: ResetOptions = {}) => fromRequest<StepResult<O>>((reply) => request('reset', resetOptions, reply)),
    step: (action: A) => fromRequest<StepResult<O>>((reply) => request('step', action, reply)),
    state: () => sessionObservable(state, 'state', () => transport.state(), (body, call) => checkedReply(spec.state, validateResponses, body, 'state', call)),
    steps: (action$, stepsOptions) => runSteps(session.step, action$, stepsOptions),
    health: () => sessionObservable(state, 'health', () => transport.health(), identity),
    schema: () => sessionObservable(state, 'schema', () => transport.schema(), identity),
    metadata: () => sessionObservable(state, 'metadata', () => transport.metadata(), identity),
    episode: (policy, episodeOptions) => runEpisode(session, policy, episodeOptions),
    episodes: (policy, episodesOptions) => runEpisodes(session, policy, episodesOptions),
    episodesFlat: (policy, episodesOptions) => session.episodes(policy, episodesOptions).pipe(concatAll()),
    checkEpisodes: () => probe.check(),
    failure$: sessionFailure$(state),
    close() {
      if (state.closed) return;
      state.closed = true;
      probe.release();
      transport.close();
    },
  };
  registerSessionRequest(session, request);
  return session;
}
