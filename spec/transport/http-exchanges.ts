import { firstValueFrom, type Observable } from 'rxjs';
import { HttpStatusError } from '../../src/errors/index.js';
import type { Transport } from '../../src/transport/transport.js';
import type { HttpExchange } from '../helpers/transcripts.js';
import { errorOf, expectedStepResult } from './support.js';

type RequestName = 'reset' | 'step' | 'state' | 'health' | 'schema' | 'metadata';

/** How a recorded HTTP exchange is driven through the typed Transport API. */
export interface TypedCall {
  request: RequestName;
  /** Reset/step answers are normalised to a WireStepResult; the others come back as sent. */
  stepLike: boolean;
  call: (transport: Transport) => Observable<unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const STEP_KEYS = new Set(['action', 'timeout_s', 'request_id']);

/** The typed call that sends exactly the recorded request, or undefined when the API cannot produce it. */
export function typedCallFor(row: HttpExchange): TypedCall | undefined {
  const body = row.request_body;
  if (row.request_body_raw) return undefined;
  if (row.method === 'GET' && body === null) {
    if (row.path === '/health') return { request: 'health', stepLike: false, call: (t) => t.health() };
    if (row.path === '/schema') return { request: 'schema', stepLike: false, call: (t) => t.schema() };
    if (row.path === '/metadata') return { request: 'metadata', stepLike: false, call: (t) => t.metadata() };
    if (row.path === '/state') return { request: 'state', stepLike: false, call: (t) => t.state() };
  }
  if (row.method === 'POST' && row.path === '/reset') {
    if (body === null) return { request: 'reset', stepLike: true, call: (t) => t.reset() };
    if (isObject(body)) return { request: 'reset', stepLike: true, call: (t) => t.reset(body) };
  }
  if (row.method === 'POST' && row.path === '/step' && isObject(body) && isObject(body['action'])) {
    if (Object.keys(body).every((key) => STEP_KEYS.has(key))) {
      const action = body['action'];
      const options = { timeoutS: body['timeout_s'] as number | undefined, requestId: body['request_id'] as string | undefined };
      return { request: 'step', stepLike: true, call: (t) => t.step(action, options) };
    }
  }
  return undefined;
}

/**
 * For an exchange the typed API cannot send (raw malformed JSON, a missing `action`, a wrong method):
 * the typed call whose client-side mapping of that same recorded answer is checked against a canned
 * server. `/mcp` has no typed API: undefined.
 */
export function routeFor(row: HttpExchange): TypedCall | undefined {
  if (row.path === '/mcp') return undefined;
  if (row.path === '/step') return { request: 'step', stepLike: true, call: (t) => t.step({ any: 'action' }) };
  if (row.path === '/reset') return { request: 'reset', stepLike: true, call: (t) => t.reset({}) };
  if (row.path === '/state') return { request: 'state', stepLike: false, call: (t) => t.state() };
  return { request: 'health', stepLike: false, call: (t) => t.health() };
}

/** Asserts the transport produced the recorded answer: the value, or the `HttpStatusError` it maps to. */
export async function expectRecordedOutcome(source: Observable<unknown>, row: HttpExchange, typed: TypedCall, url: string): Promise<void> {
  if (row.status >= 200 && row.status < 300) {
    const value = await firstValueFrom(source);
    expect(value).toEqual(typed.stepLike ? expectedStepResult(row.response_body) : row.response_body);
    return;
  }
  const error = await errorOf(source);
  expect(error).toBeInstanceOf(HttpStatusError);
  const status = error as HttpStatusError;
  expect(status.status).toBe(row.status);
  expect(status.code).toBe('ERR_HTTP_STATUS');
  expect(status.context).toMatchObject({ url, transport: 'http', request: typed.request });
  if (typeof row.response_body === 'string') {
    // The 500 text/plain body is kept as text; there is no detail.
    expect(status.body).toBe(row.response_body);
    expect(status.detail).toBeUndefined();
    expect(status.message).toContain(row.response_body);
  } else {
    const detail = (row.response_body as { detail: unknown }).detail;
    expect(status.body).toEqual(row.response_body);
    expect(status.detail).toEqual(detail);
    if (Array.isArray(detail)) expect(status.message).toContain((detail[0] as { msg: string }).msg);
  }
}
