import type { Unsubscribable } from 'rxjs';
import type { ReplySink } from '../transport/direct-request.js';
import type { ResetOptions, StepResult } from './types.js';

/**
 * The per-step path of a session made by `createSession`, keyed by this symbol (internal): `reset`
 * and `step` behave like `session.reset(options).subscribe(sink)` / `session.step(action).subscribe(sink)`
 * (same validation, context, answers and errors) without an Observable per request. The episode
 * loop and the vector's sub-envs use it when the session has its own (`sessionRequestOf`); a
 * session copied or wrapped by the user (`{ ...session, step }`) is used through its methods.
 */
export const SESSION_REQUEST: unique symbol = Symbol('openenv-rx.sessionRequest');

export interface SessionRequest<A, O> {
  readonly owner: object;
  reset(options: ResetOptions, sink: ReplySink<StepResult<O>>): Unsubscribable | undefined;
  step(action: A, sink: ReplySink<StepResult<O>>): Unsubscribable | undefined;
}

/** The direct path of `session`, if it is its own (see `SESSION_REQUEST`). */
export function sessionRequestOf<A, O>(session: object): SessionRequest<A, O> | undefined {
  const direct = (session as { [SESSION_REQUEST]?: SessionRequest<A, O> })[SESSION_REQUEST];
  return direct !== undefined && direct.owner === session ? direct : undefined;
}
