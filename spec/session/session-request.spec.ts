import { firstValueFrom, lastValueFrom, Observable, tap, toArray } from 'rxjs';
import { echoEnv } from '../../src/envs/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { runEpisode } from '../../src/session/episode.js';
import { sessionRequestOf } from '../../src/session/session-request.js';
import type { EnvSession, StepResult } from '../../src/session/types.js';
import { transportRequestOf } from '../../src/transport/transport-request.js';
import { openWsTransport } from '../../src/transport/ws-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { withSession } from '../../src/operators/with-session.js';
import { pollUntil } from '../support/poll.js';
import { Echo } from '../fixtures/typed-echo.js';

type EchoSession = EnvSession<{ message: string }, { echoed_message: string; message_length: number }, unknown>;

/** Collects what a request's `Reply` receives. */
function sink<T>() {
  const seen: Array<['value', T] | ['error', unknown]> = [];
  return { seen, value: (v: T) => void seen.push(['value', v]), error: (e: unknown) => void seen.push(['error', e]) };
}

/**
 * The one request contract on sessions (`sessionRequestOf`) and transports (`transportRequestOf`):
 * the session's own request answers what its Observable methods (wrappers of it) answer, and a
 * copy of a transport or session whose methods the user replaced is used through those methods.
 */
describe('session and transport requests over a real /ws socket', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(echoEnv, { maxSessions: 4 });
  });
  afterAll(() => server.close());

  const withEcho = <R>(work: (env: EchoSession) => Observable<R> | Promise<R>): Promise<R> =>
    lastValueFrom(Echo.connect(server.url, { transport: 'ws' }).pipe(withSession((env) => work(env as EchoSession))));

  it("a session's request answers a reset and a step as its Observable methods do, with the same context on errors", async () => {
    const { viaObservable, viaRequest, invalid } = await withEcho(async (env) => {
      const request = sessionRequestOf<{ message: string }, unknown>(env);
      const viaObservable = [await firstValueFrom(env.reset({ seed: 1, episodeId: 'e-1' })), await firstValueFrom(env.step({ message: 'hi' }))];
      const reset = sink<StepResult<unknown>>();
      const step = sink<StepResult<unknown>>();
      request('reset', { seed: 1, episodeId: 'e-2' }, reset);
      await pollUntil(() => reset.seen.length === 1, 'reset.seen.length === 1', { timeoutMs: 5_000, intervalMs: 5 });
      request('step', { message: 'hi' }, step);
      await pollUntil(() => step.seen.length === 1, 'step.seen.length === 1', { timeoutMs: 5_000, intervalMs: 5 });
      const invalid = sink<StepResult<unknown>>();
      request('step', { message: '' }, invalid);
      return { viaObservable, viaRequest: [...reset.seen, ...step.seen], invalid: invalid.seen };
    });
    expect(viaRequest).toEqual([['value', viaObservable[0]], ['value', viaObservable[1]]]);
    // Validated before anything is sent, with the session's context (the step after the last one).
    expect(invalid).toEqual([
      ['error', expect.objectContaining({ code: 'ERR_ACTION_INVALID', context: expect.objectContaining({ env: 'echo', request: 'step', stepIndex: 2, episodeId: 'e-2' }) })],
    ]);
  });

  it("a closed session's request refuses as its step() does, sending nothing", async () => {
    const transport = await firstValueFrom(openWsTransport(server.url));
    const seen = sink<StepResult<unknown>>();
    try {
      const { createSession } = await import('../../src/session/create-session.js');
      const session = createSession(transport, Echo.spec);
      session.close();
      sessionRequestOf<{ message: string }, unknown>(session)('step', { message: 'hi' }, seen);
    } finally {
      transport.close();
    }
    expect(seen.seen).toEqual([['error', expect.objectContaining({ code: 'ERR_SESSION_STATE', context: expect.objectContaining({ request: 'step', stepIndex: 1 }) })]]);
  });

  it('an abandoned request keeps the socket in sync: its late reply is dropped, the next request gets its own', async () => {
    const answers = await withEcho(async (env) => {
      await firstValueFrom(env.reset());
      const request = sessionRequestOf<{ message: string }, { echoed_message: string }>(env);
      const first = sink<StepResult<{ echoed_message: string }>>();
      request('step', { message: 'abandoned' }, first)!.unsubscribe();
      const second = await firstValueFrom(env.step({ message: 'kept' }));
      return { first: first.seen, second: second.observation.echoed_message };
    });
    expect(answers).toEqual({ first: [], second: 'kept' });
  });

  it('runEpisode on a copy of a session with its own step() uses that step(), not the request of the original', async () => {
    const wrapped: string[] = [];
    const steps = await withEcho((env) => {
      const copy: EchoSession = { ...env, step: (action) => env.step(action).pipe(tap(() => wrapped.push(action.message))) };
      expect(sessionRequestOf(copy)).not.toBe(sessionRequestOf(env));
      return runEpisode(copy, () => ({ message: 'via copy' }), { maxSteps: 3 }).pipe(toArray());
    });
    expect(steps).toHaveLength(4);
    expect(wrapped).toEqual(['via copy', 'via copy', 'via copy']);
  });

  it('a session over a copy of the ws transport with its own step() sends through that step()', async () => {
    const wrapped: unknown[] = [];
    const result = await lastValueFrom(
      openWsTransport(server.url).pipe(
        withSession((transport) => {
          const copy: Transport = { ...transport, step: (action) => transport.step(action).pipe(tap(() => wrapped.push(action))) };
          expect(transportRequestOf(copy)).not.toBe(transportRequestOf(transport)); // the copy has no registered request
          return Echo.fromTransport(new Observable<Transport>((s) => s.next(copy))).pipe(
            withSession((env) => runEpisode(env, () => ({ message: 'hi' }), { maxSteps: 2 }).pipe(toArray())),
          );
        }),
      ),
    );
    expect(result).toHaveLength(3);
    expect(wrapped).toEqual([{ message: 'hi' }, { message: 'hi' }]);
  });
});

