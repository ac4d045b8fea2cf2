import { catchError, concat, defer, EMPTY, firstValueFrom, merge, NEVER, Subject, switchMap, take, timeout, toArray } from 'rxjs';
import {
  ActionValidationError,
  ConnectionClosedError,
  PolicyError,
  ServerError,
  SessionStateError,
  TimeoutError,
} from '../../src/errors/index.js';
import { echoEnv } from '../../src/envs/echo.js';
import { stepTimeout } from '../../src/operators/step-timeout.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import type { EnvSession, Policy } from '../../src/session/types.js';
import { Echo, say } from './support/echo-env.js';
import { errorWithin, expectReleased, installFaultGuards, outcomeWithin } from './support/fault-guards.js';
import { useFaultServer, type FaultServer } from './support/fault-server.js';
import { pollUntil } from '../support/poll.js';

const WITHIN_MS = 10_000;
type EchoSession = EnvSession<{ message: string }, { echoed_message: string; message_length: number }, Record<string, unknown>>;

describe('faults: the user does something wrong', () => {
  installFaultGuards();
  const start = useFaultServer();
  let ours: RunningServer | undefined;

  /** The text frames the server received on its first socket, parsed. */
  const framesOf = (live: FaultServer): unknown[] => (live.connections[0]?.received ?? []).map((text) => JSON.parse(text) as unknown);

  afterEach(async () => {
    await ours?.close();
    ours = undefined;
  });

  it('invalid action: ActionValidationError naming the field, nothing is sent, the session keeps working', async () => {
    const live = await start();
    let stepError: unknown;
    const outcome = await outcomeWithin(
      Echo.connect(live.url).pipe(
        switchMap((env) =>
          concat(
            env.reset(),
            env.step({ message: '' }).pipe(catchError((error: unknown) => ((stepError = error), EMPTY))),
            env.step({ message: 42 } as unknown as { message: string }).pipe(catchError(() => EMPTY)),
            env.step(say(1)),
          ),
        ),
        take(2),
      ),
      WITHIN_MS,
    );
    expect(stepError).toBeInstanceOf(ActionValidationError);
    expect(stepError).toMatchObject({
      code: 'ERR_ACTION_INVALID',
      fields: ['message'],
      action: { message: '' },
      context: { env: 'echo', url: live.url, transport: 'ws', request: 'step', stepIndex: 1 },
    });
    expect(outcome).toMatchObject({ kind: 'complete', values: [{}, { observation: { echoed_message: 'm1' } }] });
    await expectReleased(live);
    // Neither bad action reached the wire.
    expect(framesOf(live)).toEqual([{ type: 'reset', data: {} }, { type: 'step', data: { message: 'm1' } }, { type: 'close' }]);
  });

  it('step before reset: passed to the server as is; the server decides (answer or ServerError)', async () => {
    // A server that builds its env on connect answers (our echo env does).
    ours = await serve(echoEnv);
    const answered = await outcomeWithin(Echo.connect(ours.url).pipe(switchMap((env) => env.step(say(1))), take(1)), WITHIN_MS);
    expect(answered).toMatchObject({ kind: 'complete', values: [{ observation: { echoed_message: 'm1', message_length: 2 } }] });
    const running = ours;
    await pollUntil(() => running.activeSessions() === 0, 'the session to end on the server');

    // A server that refuses: its EXECUTION_ERROR reaches the user as a ServerError, step index 1.
    const live = await start({
      onMessage: (m, c) =>
        m.type === 'step' && !c.received.some((text) => text.includes('"reset"'))
          ? c.send({ type: 'error', data: { message: 'Call reset() before step()', code: 'EXECUTION_ERROR' } })
          : c.answer(m),
    });
    const refused = await errorWithin(Echo.connect(live.url).pipe(switchMap((env) => env.step(say(1)))), WITHIN_MS);
    expect(refused).toBeInstanceOf(ServerError);
    expect(refused).toMatchObject({ code: 'ERR_SERVER', serverCode: 'EXECUTION_ERROR', serverMessage: 'Call reset() before step()', context: { request: 'step', stepIndex: 1 } });
    expect(framesOf(live)[0]).toEqual({ type: 'step', data: { message: 'm1' } });
    await expectReleased(live);
  });

  it('step after unsubscribe: SessionStateError, nothing sent; a step in flight at unsubscribe gets ConnectionClosedError', async () => {
    const live = await start({ onMessage: (m, c) => (m.type === 'step' ? undefined : c.answer(m)) }); // steps hang
    let session: EchoSession | undefined;
    const subscription = Echo.connect(live.url).subscribe((env) => (session = env));
    await pollUntil(() => session !== undefined, 'the session');
    const env = session!;
    await firstValueFrom(env.reset().pipe(timeout(WITHIN_MS)));
    const inFlight = outcomeWithin(env.step(say(1)), WITHIN_MS);
    await pollUntil(() => live.connections[0]!.steps === 1, 'the step to reach the server');
    subscription.unsubscribe();

    const cut = await inFlight;
    expect(cut.kind).toBe('error');
    const cutError = (cut as { error: unknown }).error;
    expect(cutError).toBeInstanceOf(ConnectionClosedError);
    expect(cutError).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', closeCode: 1000, context: { env: 'echo', request: 'step', stepIndex: 1 } });

    const after = await errorWithin(env.step(say(2)), WITHIN_MS);
    expect(after).toBeInstanceOf(SessionStateError);
    expect(after).toMatchObject({ code: 'ERR_SESSION_STATE', context: { env: 'echo', url: live.url, request: 'step', stepIndex: 1 } });
    expect(await errorWithin(env.reset(), WITHIN_MS)).toBeInstanceOf(SessionStateError);
    expect(live.connections[0]!.steps).toBe(1);
    await expectReleased(live);
  });

  it('actions emitted faster than steps complete: buffered, sent one at a time, results in order', async () => {
    // Replies take 0-9 ms, so a client that pipelined or reordered would show it.
    const live = await start({ onMessage: (m, c) => void setTimeout(() => c.answer(m), (c.received.length * 7) % 10) });
    const actions = new Subject<{ message: string }>();
    const results = firstValueFrom(
      Echo.connect(live.url).pipe(
        switchMap((env) => {
          // Once `steps` listens, 100 actions arrive at once, long before the first reply.
          const burst$ = defer(() => {
            for (let i = 0; i < 100; i++) actions.next(say(i));
            actions.complete();
            return EMPTY;
          });
          return concat(env.reset(), merge(env.steps(actions), burst$));
        }),
        take(101), // the session never completes by itself: take the reset and the 100 results
        toArray(),
        timeout(WITHIN_MS),
      ),
    );
    const values = await results;
    expect(values.slice(1).map((r) => r.observation.echoed_message)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(live.maxUnanswered()).toBe(1);
    expect(framesOf(live).slice(1, 101)).toEqual(Array.from({ length: 100 }, (_, i) => ({ type: 'step', data: say(i) })));
    await expectReleased(live);
  });

  describe.each<[string, Policy<{ message: string }, { echoed_message: string; message_length: number }>, string]>([
    ['throws', (_, last) => (last.index === 2 ? ((): never => { throw new Error('policy bug'); })() : say(last.index + 1)), 'The policy threw: policy bug'],
    ['rejects', (_, last) => (last.index === 2 ? Promise.reject(new Error('model server down')) : Promise.resolve(say(last.index + 1))), 'The policy rejected: model server down'],
  ])('a policy that %s', (_how, policy, message) => {
    it('fails the episode with PolicyError (cause kept, step index), and the session is released', async () => {
      const live = await start();
      const error = await errorWithin(Echo.connect(live.url).pipe(switchMap((env) => env.episode(policy, { maxSteps: 10, episodeId: 'ep-policy' }))), WITHIN_MS);
      expect(error).toBeInstanceOf(PolicyError);
      expect(error).toMatchObject({ code: 'ERR_POLICY', message: expect.stringContaining(message), context: { request: 'policy', stepIndex: 3, episodeId: 'ep-policy', episodeIndex: 0 } });
      expect(((error as PolicyError).cause as Error).message).toBe(message.split(': ')[1]);
      expect(live.connections[0]!.steps).toBe(2); // the step the policy never decided was not sent
      await expectReleased(live);
    });
  });

  it('a policy that never answers: stepTimeout fails the episode with TimeoutError (phase step), the session is released', async () => {
    const live = await start();
    const policy: Policy<{ message: string }, { echoed_message: string; message_length: number }> = (_, last) =>
      last.index === 2 ? NEVER : Promise.resolve(say(last.index + 1));
    const error = await errorWithin(
      Echo.connect(live.url).pipe(switchMap((env) => env.episode(policy, { maxSteps: 10, episodeId: 'ep-stuck' }).pipe(stepTimeout(2_000, { env: 'echo' })))),
      WITHIN_MS,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', phase: 'step', timeoutMs: 2_000, context: { env: 'echo', episodeId: 'ep-stuck', episodeIndex: 0, stepIndex: 3 } });
    expect(live.connections[0]!.steps).toBe(2);
    await expectReleased(live);
  });
});
