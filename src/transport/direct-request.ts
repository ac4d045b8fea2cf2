import type { Unsubscribable } from 'rxjs';
import type { WireResetData, WireStepResult } from './transport.js';

/**
 * Where the answer to one request goes: `next` then `complete`, or `error`, at most once. An rxjs
 * `Subscriber` is one; the per-step paths of the session and the episode loop pass their own
 * observer objects instead of subscribing an Observable per request.
 */
export interface ReplySink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * The hot path of a transport, keyed by this symbol (internal: not part of the `Transport`
 * contract a user implements): `send` is a reset or step like `transport.reset/step(...).subscribe(sink)`
 * with the same answers, errors and ordering, without building an Observable and its subscriber
 * layers. It returns what cancels it (the late reply is then read and dropped), or undefined when
 * the sink was already answered (an error at once). `owner` is the transport it belongs to: a
 * copy of the object (`{ ...transport, step: wrapped }`) must not bypass what it overrides, so
 * `directOf` ignores a `send` found on anything else.
 */
export const DIRECT_REQUEST: unique symbol = Symbol('openenv-rx.directRequest');

export interface DirectRequest {
  readonly owner: object;
  send(kind: 'reset' | 'step', data: WireResetData | Record<string, unknown>, sink: ReplySink<WireStepResult>): Unsubscribable | undefined;
}

/** The direct path of `transport`, if it has its own (see `DIRECT_REQUEST`). */
export function directOf(transport: { readonly [DIRECT_REQUEST]?: DirectRequest }): DirectRequest | undefined {
  const direct = transport[DIRECT_REQUEST];
  return direct !== undefined && direct.owner === transport ? direct : undefined;
}
