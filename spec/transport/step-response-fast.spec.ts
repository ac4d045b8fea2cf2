import { StepResponse } from '../../src/protocol/http-messages.js';
import { WsServerMessage } from '../../src/protocol/ws-messages.js';
import { observationFrameFast, stepResponseFast } from '../../src/transport/step-response-fast.js';

// The hand-written checks skip zod on the hot path: they must never accept what the schemas
// reject, and must return what the schemas return. Inputs are JSON texts, as the wire gives them.
/** [JSON text, whether the fast path takes it]; whatever it declines goes to zod as before. */
const bodies: Array<[string, boolean]> = [
  ['{"observation":{"x":1},"reward":0.5,"done":false}', true],
  ['{"observation":{"x":1},"reward":true,"done":true}', true],
  ['{"observation":{"x":1},"reward":null,"done":false}', true],
  ['{"observation":{},"done":false}', true],
  ['{"observation":{"nested":{"a":[1,2]}},"reward":-3,"done":false,"metadata":{"k":1}}', true],
  ['{"observation":{"x":1},"reward":1e999,"done":false}', false],
  ['{"observation":{"x":1},"reward":"high","done":false}', false],
  ['{"observation":{"x":1},"reward":0}', false],
  ['{"observation":{"x":1},"reward":0,"done":"false"}', false],
  ['{"observation":[1],"reward":0,"done":false}', false],
  ['{"observation":null,"reward":0,"done":false}', false],
  ['{"observation":"text","reward":0,"done":false}', false],
  ['{"reward":0,"done":false}', false],
  ['{"observation":{"__proto__":{"polluted":1},"x":1},"reward":0,"done":false}', false],
  ['[]', false],
  ['null', false],
  ['"observation"', false],
  ['{}', false],
];

describe('stepResponseFast', () => {
  it.each(bodies)('%s: fast path %s, and never accepts what StepResponse rejects', (text, accepts) => {
    const json: unknown = JSON.parse(text);
    const fast = stepResponseFast(json);
    expect(fast !== undefined).toBe(accepts);
    if (accepts) {
      const zod = StepResponse.safeParse(json);
      expect(zod.success).toBe(true);
      expect(fast).toEqual(zod.data);
    }
  });
});

describe('observationFrameFast', () => {
  const frames: Array<[string, boolean]> = [
    ...bodies.map(([body, accepts]): [string, boolean] => [`{"type":"observation","data":${body}}`, accepts]),
    ['{"type":"observation","data":{"observation":{},"done":false},"extra":1}', true],
    ['{"type":"state","data":{"observation":{},"done":false}}', false],
    ['{"type":"error","data":{"message":"m","code":"EXECUTION_ERROR"}}', false],
    ['{"data":{"observation":{},"done":false}}', false],
  ];

  it.each(frames)('%s: fast path %s, and never accepts what WsServerMessage rejects', (text, accepts) => {
    const json: unknown = JSON.parse(text);
    const fast = observationFrameFast(json);
    expect(fast !== undefined).toBe(accepts);
    if (accepts) {
      const zod = WsServerMessage.safeParse(json);
      expect(zod.success && zod.data.type).toBe('observation');
      expect(fast).toEqual(zod.success ? zod.data.data : undefined);
    }
  });
});
