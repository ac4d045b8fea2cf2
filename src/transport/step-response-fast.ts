import { isRecord } from '../internal/is-record.js';
import type { StepResponse } from '../protocol/http-messages.js';

/**
 * `{observation, reward?, done}` checked by hand: exactly what the `StepResponse` schema accepts
 * from `JSON.parse` output, or `undefined` for anything else (zod then decides, and words the
 * error). An own `__proto__` key in the observation (which zod drops) also goes the zod way.
 * Every reset/step answer passes here; zod's generic walk cost a visible share of a local round trip.
 *
 * @example
 * stepResponseFast(JSON.parse('{"observation":{"x":1},"reward":0.5,"done":false}')) // { observation: { x: 1 }, reward: 0.5, done: false }
 * stepResponseFast({ observation: [], done: false }) // undefined
 */
export function stepResponseFast(body: unknown): StepResponse | undefined {
  if (!isRecord(body)) return undefined;
  const { observation, reward, done } = body;
  if (typeof done !== 'boolean' || !isRecord(observation) || Object.hasOwn(observation, '__proto__')) return undefined;
  if (reward === undefined || reward === null || typeof reward === 'boolean' || (typeof reward === 'number' && Number.isFinite(reward))) {
    return reward === undefined ? { observation, done } : { observation, reward, done };
  }
  return undefined;
}

/** The WS envelope `{"type":"observation","data":<StepResponse>}`, checked the same way. */
export function observationFrameFast(frame: unknown): StepResponse | undefined {
  return isRecord(frame) && frame['type'] === 'observation' ? stepResponseFast(frame['data']) : undefined;
}
