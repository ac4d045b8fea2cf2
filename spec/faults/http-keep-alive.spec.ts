import { catchError, concat, EMPTY, switchMap, take } from 'rxjs';
import { ConnectionError, HttpStatusError } from '../../src/errors/index.js';
import { Echo, say } from './support/echo-env.js';
import { errorWithin, expectReleased, installFaultGuards, outcomeWithin } from './support/fault-guards.js';
import { useFaultServer, type HttpRequest } from './support/fault-server.js';

const WITHIN_MS = 5_000;
const INTERNAL_ERROR = { status: 500, contentType: 'text/plain; charset=utf-8', body: 'Internal Server Error' };
const steps = (requests: HttpRequest[]) => requests.filter((r) => r.path === '/step');

describe('faults: HTTP keep-alive after a server 500 (Node\'s reusedSocket rule)', () => {
  installFaultGuards();
  const start = useFaultServer();

  /** reset, a step that fails (500), a step that must succeed: over transport 'http'. */
  const afterA500 = (url: string) => {
    let stepError: unknown;
    const run$ = Echo.connect(url, { transport: 'http' }).pipe(
      switchMap((env) =>
        concat(env.reset(), env.step(say(1)).pipe(catchError((error: unknown) => ((stepError = error), EMPTY))), env.step(say(2))),
      ),
      take(2),
    );
    return { run$, stepError: () => stepError };
  };

  it('the server had closed the socket the 500 came on: the next step fails on that reused socket before any byte, and is sent once more on a fresh one', async () => {
    // Deterministic form of the race: the next request on the 500's connection is dropped unread (RST).
    let poisoned: number | undefined;
    const live = await start({
      onHttp: (r) => {
        if (r.path !== '/step') return undefined;
        if (r.remotePort === poisoned) return 'reset';
        if (r.body.includes('"m1"')) {
          poisoned = r.remotePort;
          return INTERNAL_ERROR;
        }
        return undefined;
      },
    });
    const { run$, stepError } = afterA500(live.url);
    const outcome = await outcomeWithin(run$, WITHIN_MS);
    expect(stepError()).toBeInstanceOf(HttpStatusError);
    expect(stepError()).toMatchObject({ status: 500, context: { request: 'step', stepIndex: 1 } });
    expect(outcome).toMatchObject({ kind: 'complete', values: [{}, { observation: { echoed_message: 'm2' } }] });
    const [failed, dropped, resent] = steps(live.requests);
    expect(dropped).toMatchObject({ remotePort: failed!.remotePort, body: resent!.body }); // the same request (same request_id)...
    expect(dropped!.onConnection).toBeGreaterThan(1); // ...first on the reused socket,
    expect(resent!.onConnection).toBe(1); // then on a fresh one,
    expect(resent!.remotePort).not.toBe(failed!.remotePort);
    expect(steps(live.requests)).toHaveLength(3); // and never again.
    await expectReleased(live);
  });

  it('a real server that closes the connection after every 500: each next step succeeds (10 rounds)', async () => {
    const live = await start({ onHttp: (r) => (r.path === '/step' && r.body.includes('"m1"') ? { ...INTERNAL_ERROR, close: true } : undefined) });
    for (let round = 0; round < 10; round++) {
      const { run$, stepError } = afterA500(live.url);
      const outcome = await outcomeWithin(run$, WITHIN_MS);
      expect(stepError()).toMatchObject({ status: 500 });
      expect(outcome).toMatchObject({ kind: 'complete', values: [{}, { observation: { echoed_message: 'm2' } }] });
    }
    await expectReleased(live);
  });

  it('a reset on a FRESH socket is not resent: the step may have reached the server', async () => {
    const live = await start({ onHttp: (r) => (r.path === '/step' ? 'reset' : undefined) });
    const error = await errorWithin(Echo.connect(live.url, { transport: 'http' }).pipe(switchMap((env) => env.step(say(1)))), WITHIN_MS);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ systemCode: 'ECONNRESET', context: { request: 'step' } });
    expect(steps(live.requests).map((r) => r.onConnection)).toEqual([1]);
    await expectReleased(live);
  });

  it('a reused socket that dies after the first response bytes (headers incomplete) is not resent', async () => {
    const live = await start({ onHttp: (r) => (r.path === '/step' && r.body.includes('"m2"') ? 'reset-mid-response' : undefined) });
    const error = await errorWithin(
      Echo.connect(live.url, { transport: 'http' }).pipe(switchMap((env) => concat(env.reset(), env.step(say(1)), env.step(say(2))))),
      WITHIN_MS,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ context: { request: 'step', stepIndex: 2 } });
    const second = steps(live.requests).filter((r) => r.body.includes('"m2"'));
    expect(second).toHaveLength(1);
    expect(second[0]!.onConnection).toBeGreaterThan(1);
    await expectReleased(live);
  });
});
