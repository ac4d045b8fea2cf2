import { randomUUID } from 'node:crypto';
import { NEVER, Observable } from 'rxjs';
import { fromRequest } from '../internal/call.js';
import { normalizeReward } from '../protocol/reward.js';
import { StateResponse, StepResponse } from '../protocol/http-messages.js';
import { createHttpClient, type HttpCall, type HttpClient } from './http-client.js';
import { stepResponseFast } from './step-response-fast.js';
import { httpInfo } from './http-info.js';
import { httpMcp } from './http-mcp.js';
import { createRequestGate } from './request-gate.js';
import type { Transport, TransportOptions, WireResetData, WireStepOptions, WireStepResult } from './transport.js';
import { registerTransportRequest, type TransportRequest } from './transport-request.js';
import { resolveTransportOptions } from './transport-options.js';

const toStepResult = (body: StepResponse): WireStepResult => ({
  observation: body.observation,
  reward: normalizeReward(body.reward),
  done: body.done,
});

const resetCall = (data: WireResetData | undefined): HttpCall<StepResponse, WireStepResult> => ({
  request: 'reset',
  method: 'POST',
  path: 'reset',
  body: data,
  schema: StepResponse,
  fast: stepResponseFast,
  map: toStepResult,
});

const stepCall = (action: Record<string, unknown>, options?: WireStepOptions): HttpCall<StepResponse, WireStepResult> => ({
  request: 'step',
  method: 'POST',
  path: 'step',
  body: { action, timeout_s: options?.timeoutS, request_id: options?.requestId ?? randomUUID() },
  schema: StepResponse,
  fast: stepResponseFast,
  map: toStepResult,
});

const STATE_CALL: HttpCall<StateResponse> = { request: 'state', method: 'GET', path: 'state', schema: StateResponse };

/**
 * The HTTP transport (generation A's stateful routes; on B/H every call hits a fresh env, so
 * sessions refuse episodes over it there: see `StatelessHttpError`). Emits the transport at once
 * (HTTP has no connection to open; `stateful` is left unknown) and closes it on unsubscribe.
 * `reset`/`step`/`state` go one at a time; every step carries a fresh `request_id` unless given.
 * A session's resets and steps go straight to the transport's registered request (a got request
 * per step, answered through the session's `Reply`); the Observable methods wrap the same requests.
 *
 * @example
 * openHttpTransport('http://127.0.0.1:8000')
 *   .pipe(switchMap((t) => t.reset({ seed: 1 })))
 *   .subscribe((r) => console.log(r.observation, r.reward, r.done));
 */
export function openHttpTransport(url: string, options?: TransportOptions): Observable<Transport> {
  return new Observable<Transport>((subscriber) => {
    const client = createHttpClient(url, resolveTransportOptions(options), 'http');
    const transport = httpTransport(client);
    subscriber.next(transport);
    return () => client.close();
  });
}

/** The transport over `client`, its reset/step registered as its request. */
function httpTransport(client: HttpClient): Transport {
  const info = httpInfo(client);
  const gate = createRequestGate();
  const request: TransportRequest = (kind, data, reply) =>
    gate(reply, (gated) => client.send(kind === 'step' ? stepCall(data!) : resetCall(data), gated));
  const transport: Transport = {
    kind: 'http',
    url: client.url,
    reset: (data?: WireResetData) => fromRequest((reply) => request('reset', data, reply)),
    step: (action: Record<string, unknown>, stepOptions?: WireStepOptions) =>
      fromRequest((reply) => gate(reply, (gated) => client.send(stepCall(action, stepOptions), gated))),
    state: () => fromRequest((reply) => gate(reply, (gated) => client.send(STATE_CALL, gated))),
    health: info.health,
    schema: info.schema,
    metadata: info.metadata,
    mcp: httpMcp(client),
    // HTTP has no connection that could die between requests: each request reports its own failure.
    failure$: NEVER,
    close: () => client.close(),
  };
  registerTransportRequest(transport, request);
  return transport;
}
