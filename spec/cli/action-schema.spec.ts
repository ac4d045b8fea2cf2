import { of, throwError } from 'rxjs';
import { deferredSchema, requestSchema } from '../../src/cli/action-schema.js';
import { ConnectionClosedError } from '../../src/errors/connection-errors.js';
import { CapacityError, HttpStatusError } from '../../src/errors/protocol-errors.js';
import type { EnvSession } from '../../src/session/types.js';

const URL = 'http://127.0.0.1:8000';
/** A session whose `schema()` answers `answer` (only `url` and `schema` are read). */
const session = (answer: () => ReturnType<EnvSession['schema']>): EnvSession => ({ url: URL, schema: answer }) as unknown as EnvSession;
const ok = { action: { type: 'object' }, observation: {}, state: {} };
const refused = () => throwError(() => new CapacityError('Server at capacity: 1/1 sessions active', { active_sessions: 1, max_sessions: 1 }));
const settledState = (promise: Promise<unknown>) =>
  Promise.race([promise.then((v) => ({ resolved: v }), (e: unknown) => ({ rejected: e })), new Promise((r) => setImmediate(() => r('pending')))]);

describe('the action schema of a CLI run (GET /schema)', () => {
  it('a session refused for capacity (or lost) leaves it pending; the next session that answers resolves it', async () => {
    const timers: number[] = [];
    const schema = deferredSchema({ waitMs: 5_000, setTimer: (_fire, ms) => (timers.push(ms), () => timers.push(-ms)) });
    requestSchema(session(refused), schema);
    requestSchema(session(() => throwError(() => new ConnectionClosedError('WebSocket closed', 1006, ''))), schema);
    expect(await settledState(schema.promise)).toBe('pending');
    expect(timers).toEqual([5_000]); // one bound, from the first failure
    requestSchema(session(() => of(ok) as ReturnType<EnvSession['schema']>), schema);
    expect(await schema.promise).toEqual({ type: 'object' });
    expect(timers).toEqual([5_000, -5_000]); // the bound is cancelled
  });

  it('rejects once nothing answered within the bound, naming the last cause', async () => {
    let fire!: () => void;
    const schema = deferredSchema({ waitMs: 5_000, setTimer: (f) => ((fire = f), () => undefined) });
    requestSchema(session(refused), schema);
    await settledState(schema.promise);
    fire();
    await expect(schema.promise).rejects.toThrow(
      /^--policy random needs the action schema from GET \/schema of http:\/\/127\.0\.0\.1:8000: no session could ask for it within 5000 ms \(last: .*CAPACITY_REACHED/,
    );
  });

  it('an HTTP 404 is a server without /schema (generation A); another status is reported as it is; both at once', async () => {
    const missing = deferredSchema({ setTimer: () => fail('no wait for a 404') });
    requestSchema(session(() => throwError(() => new HttpStatusError(404, { detail: 'Not Found' }, 'Not Found'))), missing);
    await expect(missing.promise).rejects.toThrow(`--policy random needs the action schema from GET /schema, which ${URL} does not serve (HTTP 404: a generation-A server?)`);
    const broken = deferredSchema({ setTimer: () => fail('no wait for a 500') });
    requestSchema(session(() => throwError(() => new HttpStatusError(500, 'Internal Server Error', undefined, {}, 'text/plain'))), broken);
    await expect(broken.promise).rejects.toThrow(/^--policy random needs the action schema from GET \/schema of http:\/\/127\.0\.0\.1:8000: HTTP 500/);
  });
});
