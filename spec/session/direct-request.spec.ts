import { firstValueFrom, lastValueFrom, Observable, tap, toArray } from 'rxjs';
import { z } from 'zod';
import { echoEnv } from '../../src/envs/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { defineEnv } from '../../src/session/define-env.js';
import { runEpisode } from '../../src/session/episode.js';
import { sessionRequestOf } from '../../src/session/session-request.js';
import type { EnvSession, StepResult } from '../../src/session/types.js';
import { DIRECT_REQUEST, directOf } from '../../src/transport/direct-request.js';
import { openWsTransport } from '../../src/transport/ws-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { withSession } from '../../src/operators/with-session.js';

const Echo = defineEnv({
  name: 'echo',
  action: z.object({ message: z.string().min(1) }),
  observation: z.object({ echoed_message: z.string(), message_length: z.number() }),
});
type EchoSession = EnvSession<{ message: string }, { echoed_message: string; message_length: number }, unknown>;

/** Collects what a direct request delivers, like a subscriber would see it. */
function sink<T>() {
  const seen: Array<['next', T] | ['error', unknown] | ['complete']> = [];
  return { seen, next: (v: T) => seen.push(['next', v]), error: (e: unknown) => seen.push(['error', e]), complete: () => seen.push(['complete']) };
}

/**
 * The per-step paths without an Observable per request (`DIRECT_REQUEST` on the ws transport,
 * `SESSION_REQUEST` on sessions) must answer exactly as the Observable methods do, and must never
 * be taken on a copy of a transport or session whose methods the user replaced.
 */
describe('direct request paths over a real /ws socket', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(echoEnv, { maxSessions: 4 });
  });
  afterAll(() => server.close());

  const withEcho = <R>(work: (env: EchoSession) => Observable<R> | Promise<R>): Promise<R> =>
    lastValueFrom(Echo.connect(server.url, { transport: 'ws' }).pipe(withSession((env) => work(env as EchoSession))));

  it('a session step and reset on the direct path answer what the Observable methods answer, with the same context on errors', async () => {
    const { viaObservable, viaDirect, invalid } = await withEcho(async (env) => {
      const direct = sessionRequestOf<{ message: string }, unknown>(env)!;
      expect(direct).toBeDefined();
      const viaObservable = [await firstValueFrom(env.reset({ seed: 1, episodeId: 'e-1' })), await firstValueFrom(env.step({ message: 'hi' }))];
      const reset = sink<StepResult<unknown>>();
      const step = sink<StepResult<unknown>>();
      direct.reset({ seed: 1, episodeId: 'e-2' }, reset);
      await until(() => reset.seen.length === 2);
      direct.step({ message: 'hi' }, step);
      await until(() => step.seen.length === 2);
      const invalid = sink<StepResult<unknown>>();
      direct.step({ message: '' }, invalid);
      return { viaObservable, viaDirect: [...reset.seen, ...step.seen], invalid: invalid.seen };
    });
    expect(viaDirect).toEqual([['next', viaObservable[0]], ['complete'], ['next', viaObservable[1]], ['complete']]);
    // Validated before anything is sent, with the session's context (the step after the last one).
    expect(invalid).toEqual([
      ['error', expect.objectContaining({ code: 'ERR_ACTION_INVALID', context: expect.objectContaining({ env: 'echo', request: 'step', stepIndex: 2, episodeId: 'e-2' }) })],
    ]);
  });

  it('a closed session refuses on the direct path as its step() does, sending nothing', async () => {
    const transport = await firstValueFrom(openWsTransport(server.url));
    const seen = sink<StepResult<unknown>>();
    try {
      const { createSession } = await import('../../src/session/create-session.js');
      const session = createSession(transport, Echo.spec);
      session.close();
      sessionRequestOf<{ message: string }, unknown>(session)!.step({ message: 'hi' }, seen);
    } finally {
      transport.close();
    }
    expect(seen.seen).toEqual([['error', expect.objectContaining({ code: 'ERR_SESSION_STATE', context: expect.objectContaining({ request: 'step', stepIndex: 1 }) })]]);
  });

  it('an abandoned direct request keeps the socket in sync: its late reply is dropped, the next request gets its own', async () => {
    const answers = await withEcho(async (env) => {
      await firstValueFrom(env.reset());
      const direct = sessionRequestOf<{ message: string }, { echoed_message: string }>(env)!;
      const first = sink<StepResult<{ echoed_message: string }>>();
      direct.step({ message: 'abandoned' }, first)!.unsubscribe();
      const second = await firstValueFrom(env.step({ message: 'kept' }));
      return { first: first.seen, second: second.observation.echoed_message };
    });
    expect(answers).toEqual({ first: [], second: 'kept' });
  });

  it('runEpisode on a copy of a session with its own step() uses that step(), not the direct path of the original', async () => {
    const wrapped: string[] = [];
    const steps = await withEcho((env) => {
      const copy: EchoSession = { ...env, step: (action) => env.step(action).pipe(tap(() => wrapped.push(action.message))) };
      expect(sessionRequestOf(copy)).toBeUndefined();
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
          expect(directOf(transport)).toBeDefined();
          const copy: Transport = { ...transport, step: (action) => transport.step(action).pipe(tap(() => wrapped.push(action))) };
          expect(copy[DIRECT_REQUEST]).toBeDefined(); // spread copies the symbol ...
          expect(directOf(copy)).toBeUndefined(); // ... but it is not the copy's own path
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

/** Polls `condition` every 5 ms for up to 5 s (the answers come over a real socket). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not met within 5 s');
}
