import { catchError, concat, from, ignoreElements, lastValueFrom, of, switchMap, takeWhile, timeout, toArray, type Observable } from 'rxjs';
import { z } from 'zod';
import { ActionValidationError, ResponseValidationError, ServerError } from '../../src/errors/index.js';
import { connectUrl } from '../../src/session/connect-url.js';
import { defineEnv } from '../../src/session/define-env.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { pollUntil } from '../support/poll.js';

const GridWorld = defineEnv({
  name: 'grid_world',
  action: z.object({ action: z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) }),
  observation: z.object({ x: z.number(), y: z.number(), message: z.string() }),
});
type Move = { action: 'UP' | 'DOWN' | 'LEFT' | 'RIGHT' };

const PATH: Move[] = [
  ...Array.from({ length: 4 }, (): Move => ({ action: 'DOWN' })),
  ...Array.from({ length: 4 }, (): Move => ({ action: 'RIGHT' })),
];

/** Ends a never-completing session pipeline with its error (or fails the test after 5 s). */
const errorOf = <T>(source: Observable<T>): Promise<unknown> =>
  lastValueFrom(source.pipe(ignoreElements(), timeout(5_000), catchError((error: unknown) => of(error))));

describe('GridWorld over /ws against the replay server', () => {
  let server: ReplayServer;

  beforeEach(async () => {
    server = await startReplayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl' });
  });
  afterEach(async () => {
    await server.close();
  });

  it('reaches done: true with the recorded rewards through reset() + steps(from([...]))', async () => {
    const results = await lastValueFrom(
      GridWorld.connect(server.url).pipe(
        switchMap((env) => {
          expect(env.transport).toBe('ws'); // auto: GET /schema answered 200
          return concat(env.reset(), env.steps(from(PATH)));
        }),
        takeWhile((result) => !result.done, true),
        toArray(),
        timeout(5_000),
      ),
    );
    expect(results.map((r) => r.reward)).toEqual([0, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, 1]);
    expect(results.map((r) => r.done)).toEqual([...Array(8).fill(false), true]);
    expect(results.every((r) => r.truncated === false)).toBe(true);
    expect(results.at(-1)?.observation).toEqual({ x: 4, y: 4, message: 'You found the goal!' });
    expect(server.mismatches).toEqual([]);
    await pollUntil(() => server.openSockets() === 0, 'the socket to close after the session ended');
  });

  it('rejects {action: "JUMP"} with ActionValidationError naming `action`: no frame reaches the server', async () => {
    const error = await errorOf(
      GridWorld.connect(server.url).pipe(
        switchMap((env) => concat(env.reset(), env.step({ action: 'JUMP' } as unknown as Move))),
      ),
    );
    expect(error).toBeInstanceOf(ActionValidationError);
    expect((error as ActionValidationError).fields).toEqual(['action']);
    expect((error as ActionValidationError).message).toMatch(/Invalid action: action: /);
    // Wait until the session is gone, so every frame it ever sent has arrived: reset, then close.
    await pollUntil(() => server.openSockets() === 0, 'the socket to close');
    const frames = server.received.filter((r) => r.kind === 'ws').map((r) => JSON.parse(r.body) as unknown);
    expect(frames).toEqual([{ type: 'reset', data: {} }, { type: 'close' }]);
  });

  it('fails an observation that breaks the observation schema with ResponseValidationError', async () => {
    const Misdeclared = defineEnv({ name: 'grid_world', observation: z.object({ row: z.number(), col: z.number() }) });
    const error = await errorOf(Misdeclared.connect(server.url).pipe(switchMap((env) => env.reset())));
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as ResponseValidationError).what).toBe('observation');
    expect((error as ResponseValidationError).fields.sort()).toEqual(['col', 'row']);
    expect((error as ResponseValidationError).context).toMatchObject({
      env: 'grid_world',
      url: server.url,
      transport: 'ws',
      request: 'reset',
      stepIndex: 0,
    });
  });

  it('gives a server error frame the url, transport, stepIndex and episodeId context', async () => {
    // Untyped: the client lets NORTH through; the server answers VALIDATION_ERROR (as recorded).
    const error = await errorOf(
      connectUrl(server.url).pipe(
        switchMap((env) => concat(env.reset({ seed: 42, episodeId: 'ep-ws-1' }), env.step({ action: 'NORTH' }))),
      ),
    );
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).serverCode).toBe('VALIDATION_ERROR');
    expect((error as ServerError).context).toEqual({
      env: 'env',
      url: server.url,
      transport: 'ws',
      request: 'step',
      stepIndex: 1,
      episodeId: 'ep-ws-1',
    });
    expect((error as ServerError).message).toContain(`[env env, ${server.url}, over ws, during step, step 1, episode ep-ws-1]`);
    expect(server.mismatches).toEqual([]);
  });
});
