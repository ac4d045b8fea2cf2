import type { Observable } from 'rxjs';
import { registerRequest, requestOf, type Request } from '../internal/call.js';
import type { WireResetData, WireStepResult } from '../transport/transport.js';
import type { TransportRequest } from '../transport/transport-request.js';
import type { EnvSpec } from './env-spec.js';
import { SessionCall, type SessionState } from './session-call.js';
import { actionCheck, checkedReply } from './session-checks.js';
import type { EnvSession, ResetOptions, StepResult } from './types.js';

/** A session's reset (data: `ResetOptions`) or step (data: the action) in the one request contract. */
export type SessionRequest<A, O> = Request<'reset' | 'step', ResetOptions | A, StepResult<O>>;

/**
 * `session`'s request: its own when `createSession` made it, else one made of its `reset`/`step`
 * Observables (a fake, or a user's copy `{ ...session, step }` whose `step` must be the one used).
 * The episode loop and the vector's sub-envs look it up once per session.
 */
export function sessionRequestOf<A, O>(session: Pick<EnvSession<A, O, unknown>, 'reset' | 'step'>): SessionRequest<A, O> {
  return requestOf(session, (kind, data): Observable<StepResult<O>> => (kind === 'step' ? session.step(data as A) : session.reset(data as ResetOptions)));
}

/** Makes `request` the one `sessionRequestOf(session)` finds; `session.reset`/`step` must be the same requests. */
export function registerSessionRequest<A, O>(session: object, request: SessionRequest<A, O>): void {
  registerRequest(session, request);
}

/**
 * The reset and step of one session, on the transport's own request: the action checked before
 * anything is sent, the observation checked on the reply, the episode position moved, errors with
 * the session's context. `session.reset()`/`step()` are this request wrapped in an Observable.
 */
export function createSessionRequest<A, O>(
  state: SessionState,
  spec: EnvSpec<A, O, unknown>,
  validateResponses: boolean,
  transportRequest: TransportRequest,
): SessionRequest<A, O> {
  const toWire = actionCheck(spec);
  const toResult = (wire: WireStepResult, call: SessionCall<WireStepResult, StepResult<O>>): StepResult<O> => ({
    observation: checkedReply(spec.observation, validateResponses, wire.observation, 'observation', call),
    reward: wire.reward,
    done: wire.done,
    truncated: false,
  });
  /** The reply of a reset: resets the episode position (the id sent is the call's episode). */
  const projectReset = (wire: WireStepResult, call: SessionCall<WireStepResult, StepResult<O>>): StepResult<O> => {
    const result = toResult(wire, call);
    state.stepIndex = 0;
    state.episodeId = call.episode;
    return result;
  };
  const projectStep = (wire: WireStepResult, call: SessionCall<WireStepResult, StepResult<O>>): StepResult<O> => {
    const result = toResult(wire, call);
    state.stepIndex += 1;
    return result;
  };

  return (kind, input, reply) => {
    const reset = kind === 'reset' ? (input as ResetOptions) : undefined;
    const call =
      reset === undefined
        ? new SessionCall(state, reply, 'step', state.stepIndex + 1, state.episodeId, projectStep)
        : new SessionCall(state, reply, 'reset', 0, reset.episodeId ?? null, projectReset);
    if (state.closed) {
      call.error(state.closedError(call));
      return call;
    }
    let data: WireResetData;
    try {
      // Validate before sending: a bad action must never reach the server.
      data = reset === undefined ? toWire(input as A, call) : resetData(reset);
      state.onWire = call;
      return call.sent(transportRequest(kind, data, call));
    } catch (error) {
      call.error(error);
      return call;
    }
  };
}

/** The wire form of reset options: `{ seed?, episode_id?, ...extra }`. */
function resetData(options: ResetOptions): WireResetData {
  const data: WireResetData = {};
  if (options.seed !== undefined) data['seed'] = options.seed;
  if (options.episodeId !== undefined) data['episode_id'] = options.episodeId;
  return Object.assign(data, options.extra);
}
