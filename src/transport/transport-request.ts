import type { Observable } from 'rxjs';
import { registerRequest, requestOf, type Request } from '../internal/call.js';
import type { Transport, WireResetData, WireStepResult } from './transport.js';

/** A reset (data: the wire reset data, or none) or a step (data: the action) in the one request contract. */
export type TransportRequest = Request<'reset' | 'step', WireResetData | undefined, WireStepResult>;

/**
 * `transport`'s request: its own when it registered one (the `/ws` transport: a reset or step
 * straight onto the socket; the HTTP transport: a got request per reset or step), else one made of
 * its `reset`/`step` Observables (test fakes, a user's copy of a transport with its own methods).
 * The session looks it up once.
 */
export function transportRequestOf(transport: Transport): TransportRequest {
  return requestOf(transport, (kind, data): Observable<WireStepResult> => (kind === 'step' ? transport.step(data!) : transport.reset(data)));
}

/** Makes `request` the one `transportRequestOf(transport)` finds; `transport`'s `reset`/`step` must be the same requests. */
export function registerTransportRequest(transport: Transport, request: TransportRequest): void {
  registerRequest(transport, request);
}
