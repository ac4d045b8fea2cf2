import { firstValueFrom, type Observable } from 'rxjs';
import { CapacityError, ServerError } from '../../src/errors/index.js';
import type { Transport } from '../../src/transport/transport.js';
import type { WsExchange } from '../helpers/transcripts.js';
import { errorOf, expectedStepResult } from './support.js';

export interface WsTypedCall {
  request: 'reset' | 'step' | 'state';
  call: (transport: Transport) => Observable<unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const onlyKeys = (value: Record<string, unknown>, keys: string[]): boolean => Object.keys(value).every((k) => keys.includes(k));

/** The typed call that puts exactly the recorded frame on the wire, or undefined (raw, bogus, mcp, close). */
export function wsTypedCallFor(row: WsExchange): WsTypedCall | undefined {
  const send = row.send;
  if (row.send_raw || !isObject(send) || !onlyKeys(send, ['type', 'data'])) return undefined;
  const data = send['data'];
  if (send['type'] === 'reset' && data === undefined) return { request: 'reset', call: (t) => t.reset() };
  if (send['type'] === 'reset' && isObject(data)) return { request: 'reset', call: (t) => t.reset(data) };
  if (send['type'] === 'step' && isObject(data)) return { request: 'step', call: (t) => t.step(data) };
  if (send['type'] === 'state' && data === undefined) return { request: 'state', call: (t) => t.state() };
  return undefined;
}

export const isCloseRow = (row: WsExchange): boolean => isObject(row.send) && row.send['type'] === 'close' && !row.send_raw;

/** Asserts the recorded reply: an observation/state value, or the ServerError its error frame maps to. */
export async function expectRecordedWsOutcome(source: Observable<unknown>, recv: unknown, request: string, url: string): Promise<void> {
  const frame = recv as { type: string; data: Record<string, unknown> };
  if (frame.type === 'observation') {
    await expect(firstValueFrom(source)).resolves.toEqual(expectedStepResult(frame.data));
    return;
  }
  if (frame.type === 'state') {
    await expect(firstValueFrom(source)).resolves.toEqual(frame.data);
    return;
  }
  const error = (await errorOf(source)) as ServerError;
  expect(error).toBeInstanceOf(frame.data['code'] === 'CAPACITY_REACHED' ? CapacityError : ServerError);
  expect(error.serverCode).toBe(frame.data['code']);
  expect(error.serverMessage).toBe(frame.data['message']);
  expect(error.data).toEqual(frame.data);
  expect(error.issues).toEqual(frame.data['errors'] ?? []);
  expect(error.context).toMatchObject({ url, transport: 'ws', request });
}
