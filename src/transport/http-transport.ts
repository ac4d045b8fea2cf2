import { randomUUID } from 'node:crypto';
import { NEVER, Observable } from 'rxjs';
import { normalizeReward } from '../protocol/reward.js';
import { StateResponse, StepResponse } from '../protocol/http-messages.js';
import { createFifoGate } from './fifo-gate.js';
import { createHttpClient } from './http-client.js';
import { stepResponseFast } from './step-response-fast.js';
import { httpInfo } from './http-info.js';
import { httpMcp } from './http-mcp.js';
import type { Transport, TransportOptions, WireResetData, WireStepOptions, WireStepResult } from './transport.js';
import { resolveTransportOptions } from './transport-options.js';

const toStepResult = (body: StepResponse): WireStepResult => ({
  observation: body.observation,
  reward: normalizeReward(body.reward),
  done: body.done,
});

/**
 * The HTTP transport (generation A's stateful routes; on B/H every call hits a fresh env, so
 * sessions refuse episodes over it there: see `StatelessHttpError`). Emits the transport at once
 * (HTTP has no connection to open; `stateful` is left unknown) and closes it on unsubscribe.
 * `reset`/`step`/`state` go one at a time; every step carries a fresh `request_id` unless given.
 *
 * @example
 * openHttpTransport('http://127.0.0.1:8000')
 *   .pipe(switchMap((t) => t.reset({ seed: 1 })))
 *   .subscribe((r) => console.log(r.observation, r.reward, r.done));
 */
export function openHttpTransport(url: string, options?: TransportOptions): Observable<Transport> {
  return new Observable<Transport>((subscriber) => {
    const client = createHttpClient(url, resolveTransportOptions(options), 'http');
    const info = httpInfo(client);
    const gate = createFifoGate();
    const transport: Transport = {
      kind: 'http',
      url: client.url,
      reset: (data?: WireResetData) =>
        gate(client.request({ request: 'reset', method: 'POST', path: 'reset', body: data, schema: StepResponse, fast: stepResponseFast, map: toStepResult })),
      step: (action: Record<string, unknown>, stepOptions?: WireStepOptions) =>
        gate(
          client.request({
            request: 'step',
            method: 'POST',
            path: 'step',
            body: { action, timeout_s: stepOptions?.timeoutS, request_id: stepOptions?.requestId ?? randomUUID() },
            schema: StepResponse,
            fast: stepResponseFast,
            map: toStepResult,
          }),
        ),
      state: () => gate(client.request({ request: 'state', method: 'GET', path: 'state', schema: StateResponse })),
      health: info.health,
      schema: info.schema,
      metadata: info.metadata,
      mcp: httpMcp(client),
      // HTTP has no connection that could die between requests: each request reports its own failure.
      failure$: NEVER,
      close: () => client.close(),
    };
    subscriber.next(transport);
    return () => client.close();
  });
}
