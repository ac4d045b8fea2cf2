import { concat, NEVER, switchMap, take, type Observable } from 'rxjs';
import {
  CapacityError,
  HttpStatusError,
  ProtocolError,
  ResponseValidationError,
  ServerError,
  SessionStateError,
  TimeoutError,
} from '../../src/errors/index.js';
import { WS_ERROR_CODES, WS_FATAL_ERROR_CODES, type WsErrorCode } from '../../src/protocol/ws-messages.js';
import { Echo, say } from './support/echo-env.js';
import { errorWithin, expectReleased, installFaultGuards, outcomeWithin } from './support/fault-guards.js';
import { useFaultServer, type FaultScript } from './support/fault-server.js';
import { failedStepThenNext, sessionFailure } from './support/session-runs.js';

/** Generation A: no `/schema`, so `transport: 'auto'` picks stateful HTTP. */
const GENERATION_A: FaultScript['onHttp'] = (request) => (request.path === '/schema' ? { status: 404, body: { detail: 'Not Found' } } : undefined);

const WITHIN_MS = 10_000;

describe('faults: the server answers wrongly', () => {
  installFaultGuards();
  const start = useFaultServer();



  it('hangs on a step: TimeoutError with the step index, the socket is discarded, the next session works', async () => {
    // The first connection never answers its first step; later connections behave.
    const live = await start({ onMessage: (m, c) => (m.type === 'step' && c.index === 0 ? undefined : c.answer(m)) });
    const session$ = Echo.connect(live.url, { replyTimeoutMs: 2_000 });

    const { requestError, sessionError } = await sessionFailure(session$, (env) => concat(env.reset(), env.step(say(1))), WITHIN_MS);
    expect(requestError).toBeInstanceOf(TimeoutError);
    expect(requestError).toMatchObject({
      code: 'ERR_TIMEOUT',
      phase: 'reply',
      timeoutMs: 2_000,
      context: { env: 'echo', url: live.url, transport: 'ws', request: 'step', stepIndex: 1 },
    });
    expect(sessionError).toBe(requestError);
    await expectReleased(live);

    const next = await outcomeWithin(session$.pipe(switchMap((env) => concat(env.reset(), env.step(say(2)))), take(2)), WITHIN_MS);
    expect(next).toMatchObject({ kind: 'complete', values: [{ observation: { echoed_message: 'ready' } }, { observation: { echoed_message: 'm2' } }] });
    expect(live.connections).toHaveLength(2);
    await expectReleased(live);
  });

  it('hangs on a step over http: TimeoutError with the step index, the request is aborted, the session survives', async () => {
    let steps = 0;
    const live = await start({ onHttp: (request) => (request.path === '/step' && ++steps === 1 ? 'hang' : GENERATION_A(request)) });
    const { stepError, outcome } = await failedStepThenNext(Echo.connect(live.url, { replyTimeoutMs: 2_000 }), WITHIN_MS);
    expect(stepError).toBeInstanceOf(TimeoutError);
    expect(stepError).toMatchObject({ code: 'ERR_TIMEOUT', phase: 'reply', timeoutMs: 2_000, context: { transport: 'http', request: 'step', stepIndex: 1 } });
    expect(outcome).toMatchObject({ kind: 'complete', values: [{}, { observation: { echoed_message: 'm2' } }] });
    // The hanging request's socket was destroyed by the client, not left to the server.
    await expectReleased(live);
  });

  it('replies 500 text/plain: HttpStatusError with the body; the HTTP session survives', async () => {
    let failed = false;
    const live = await start({
      onHttp: (request) => {
        if (request.path === '/step' && !failed) {
          failed = true;
          return { status: 500, contentType: 'text/plain; charset=utf-8', body: 'Internal Server Error' };
        }
        return GENERATION_A(request);
      },
    });
    const { stepError, outcome } = await failedStepThenNext(Echo.connect(live.url), WITHIN_MS);
    expect(stepError).toBeInstanceOf(HttpStatusError);
    expect(stepError).toMatchObject({
      code: 'ERR_HTTP_STATUS',
      status: 500,
      body: 'Internal Server Error',
      detail: undefined,
      context: { env: 'echo', url: live.url, transport: 'http', request: 'step', stepIndex: 1 },
    });
    expect((stepError as Error).message).toMatch(/^HTTP 500, text\/plain: Internal Server Error \[/);
    expect(outcome).toMatchObject({ kind: 'complete', values: [{ observation: { echoed_message: 'ready' } }, { observation: { echoed_message: 'm2' } }] });
    await expectReleased(live);
  });

  it('replies 422 with a detail list: HttpStatusError carrying the pydantic issues', async () => {
    const detail = [
      { type: 'missing', loc: ['body', 'action', 'message'], msg: 'Field required', input: {} },
      { type: 'greater_than', loc: ['body', 'timeout_s'], msg: 'Input should be greater than 0', input: 0, ctx: { gt: 0 } },
    ];
    const live = await start({ onHttp: (request) => (request.path === '/step' ? { status: 422, body: { detail } } : GENERATION_A(request)) });
    const error = await errorWithin(Echo.connect(live.url).pipe(switchMap((env) => concat(env.reset(), env.step(say(1))))), WITHIN_MS);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({
      code: 'ERR_HTTP_STATUS',
      status: 422,
      detail,
      context: { env: 'echo', transport: 'http', request: 'step', stepIndex: 1 },
    });
    expect((error as Error).message).toContain('body.action.message: Field required; body.timeout_s: Input should be greater than 0');
    await expectReleased(live);
  });

  it.each(['ws', 'http'] as const)('replies malformed JSON over %s: ProtocolError keeping the raw text', async (transport) => {
    const garbage = '{"type": "observation", "data": {';
    const live = await start({
      onMessage: (m, c) => (m.type === 'step' ? c.sendRaw(garbage) : c.answer(m)),
      onHttp: (request) => (request.path === '/step' ? { status: 200, body: garbage } : undefined),
    });
    const session$ = Echo.connect(live.url, { transport });
    const { requestError, sessionError } =
      transport === 'ws'
        ? await sessionFailure(session$, (env) => concat(env.reset(), env.step(say(1))), WITHIN_MS)
        : { requestError: await errorWithin(session$.pipe(switchMap((env) => concat(env.reset(), env.step(say(1))))), WITHIN_MS), sessionError: undefined };
    expect(requestError).toBeInstanceOf(ProtocolError);
    expect(requestError).toMatchObject({ code: 'ERR_PROTOCOL', raw: garbage, context: { transport, request: 'step', stepIndex: 1, env: 'echo' } });
    // Over WS the socket is out of sync: the whole session fails. HTTP requests are independent.
    if (transport === 'ws') expect(sessionError).toBe(requestError);
    await expectReleased(live);
  });

  it.each(['ws', 'http'] as const)('replies valid JSON of the wrong shape over %s: ProtocolError naming the fields', async (transport) => {
    const wrong = { observation: ['not', 'an', 'object'], reward: 'high', done: 'no' };
    const live = await start({
      onMessage: (m, c) => (m.type === 'step' ? c.send({ type: 'observation', data: wrong }) : c.answer(m)),
      onHttp: (request) => (request.path === '/step' ? { status: 200, body: wrong } : undefined),
    });
    const error = await errorWithin(Echo.connect(live.url, { transport }).pipe(switchMap((env) => concat(env.reset(), env.step(say(1))))), WITHIN_MS);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'ERR_PROTOCOL', context: { transport, request: 'step', stepIndex: 1 } });
    const prefix = transport === 'ws' ? 'data.' : '';
    expect((error as Error).message).toContain(`${prefix}observation, ${prefix}reward, ${prefix}done`);
    await expectReleased(live);
  });

  it('replies an observation that breaks the env schema: ResponseValidationError; the socket stays in sync', async () => {
    const live = await start({
      onMessage: (m, c) =>
        m.type === 'step' && c.steps === 1 ? c.send({ type: 'observation', data: { observation: { echoed_message: 7 }, reward: 0, done: false } }) : c.answer(m),
    });
    const { stepError, outcome } = await failedStepThenNext(Echo.connect(live.url), WITHIN_MS);
    expect(stepError).toBeInstanceOf(ResponseValidationError);
    expect(stepError).toMatchObject({ code: 'ERR_RESPONSE_INVALID', what: 'observation', fields: ['echoed_message', 'message_length'], context: { stepIndex: 1 } });
    expect(outcome).toMatchObject({ kind: 'complete', values: [{}, { observation: { echoed_message: 'm2' } }] });
    await expectReleased(live);
  });

  describe.each(WS_ERROR_CODES.map((code) => [code]))('a WS error frame %s', (code: WsErrorCode) => {
    const fatal = WS_FATAL_ERROR_CODES.has(code);
    const data = {
      message: `scripted ${code}`,
      code,
      ...(code === 'VALIDATION_ERROR' && { errors: [{ type: 'missing', loc: ['message'], msg: 'Field required', input: {} }] }),
      ...(code === 'CAPACITY_REACHED' && { active_sessions: 1, max_sessions: 1 }),
    };
    const script: FaultScript = {
      onMessage: (m, c) => {
        if (m.type !== 'step' || c.steps !== 1) return c.answer(m);
        c.send({ type: 'error', data });
        if (fatal) c.close(1000); // what real servers do after the fatal codes
      },
    };

    it(fatal ? 'fails the step and the session, and discards the socket' : 'fails only that step; the session keeps working', async () => {
      const live = await start(script);
      const expected = {
        code: code === 'CAPACITY_REACHED' ? 'ERR_CAPACITY' : 'ERR_SERVER',
        serverCode: code,
        serverMessage: `scripted ${code}`,
        context: { env: 'echo', url: live.url, transport: 'ws', request: 'step', stepIndex: 1 },
      };
      if (fatal) {
        const { requestError, sessionError } = await sessionFailure(Echo.connect(live.url), (env) => concat(env.reset(), env.step(say(1))), WITHIN_MS);
        expect(requestError).toBeInstanceOf(code === 'CAPACITY_REACHED' ? CapacityError : ServerError);
        expect(requestError).toMatchObject(expected);
        expect(sessionError).toBe(requestError);
      } else {
        const { stepError, outcome } = await failedStepThenNext(Echo.connect(live.url), WITHIN_MS);
        expect(stepError).toBeInstanceOf(ServerError);
        expect(stepError).toMatchObject(expected);
        if (code === 'VALIDATION_ERROR') expect((stepError as ServerError).issues).toEqual(data.errors);
        expect(outcome).toMatchObject({ kind: 'complete', values: [{}, { observation: { echoed_message: 'm2' } }] });
        expect(live.connections).toHaveLength(1);
      }
      await expectReleased(live);
    });
  });

  it('sends an unsolicited frame while idle: the session fails with ProtocolError, later calls with SessionStateError', async () => {
    const live = await start({
      onMessage: (m, c) => {
        c.answer(m);
        // Right behind the reset's answer: the client asks nothing more, so nothing is pending.
        if (m.type === 'reset') c.send({ type: 'observation', data: { observation: {}, reward: 0, done: false } });
      },
    });
    let session: { step(action: { message: string }): Observable<unknown> } | undefined;
    const { requestError, sessionError } = await sessionFailure(
      Echo.connect(live.url),
      (env) => ((session = env), concat(env.reset(), NEVER)),
      WITHIN_MS,
    );
    expect(requestError).toBeUndefined();
    expect(sessionError).toBeInstanceOf(ProtocolError);
    expect(sessionError).toMatchObject({ code: 'ERR_PROTOCOL', context: { env: 'echo', url: live.url, transport: 'ws', stepIndex: 0 } });
    expect((sessionError as Error).message).toMatch(/Unsolicited observation frame/);
    // Nothing was in flight: the error names no request (and not "during connect": requests were made).
    expect((sessionError as ProtocolError).context.request).toBeUndefined();
    const later = await errorWithin(session!.step(say(1)), WITHIN_MS);
    expect(later).toBeInstanceOf(SessionStateError);
    expect(later).toMatchObject({ code: 'ERR_SESSION_STATE', context: { request: 'step' } });
    await expectReleased(live);
  });

  it('sends a frame over maxMessageBytes: ProtocolError naming the limit, the socket is discarded', async () => {
    const big = { type: 'observation', data: { observation: { echoed_message: 'x'.repeat(8_192), message_length: 8_192 }, reward: 0, done: false } };
    const live = await start({ onMessage: (m, c) => (m.type === 'step' ? c.send(big) : c.answer(m)) });
    const { requestError, sessionError } = await sessionFailure(
      Echo.connect(live.url, { maxMessageBytes: 4_096 }),
      (env) => concat(env.reset(), env.step(say(1))),
      WITHIN_MS,
    );
    expect(requestError).toBeInstanceOf(ProtocolError);
    expect(requestError).toMatchObject({ code: 'ERR_PROTOCOL', context: { request: 'step', stepIndex: 1, transport: 'ws' } });
    expect((requestError as Error).message).toMatch(/larger than maxMessageBytes \(4096 bytes\)/);
    expect(sessionError).toBe(requestError);
    await expectReleased(live);
  });

  it('sends a binary frame: ProtocolError, the socket is discarded', async () => {
    const live = await start({ onMessage: (m, c) => (m.type === 'step' ? c.sendBinary(Buffer.from([0xde, 0xad])) : c.answer(m)) });
    const { requestError, sessionError } = await sessionFailure(Echo.connect(live.url), (env) => concat(env.reset(), env.step(say(1))), WITHIN_MS);
    expect(requestError).toBeInstanceOf(ProtocolError);
    expect(requestError).toMatchObject({ code: 'ERR_PROTOCOL', raw: undefined, context: { request: 'step', stepIndex: 1 } });
    expect((requestError as Error).message).toMatch(/binary frame/);
    expect(sessionError).toBe(requestError);
    await expectReleased(live);
  });
});
