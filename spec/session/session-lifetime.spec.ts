import { catchError, concat, firstValueFrom, ignoreElements, lastValueFrom, of, switchMap, timeout, type Subscription } from 'rxjs';
import { z } from 'zod';
import { CapacityError, SessionStateError } from '../../src/errors/index.js';
import { defineEnv } from '../../src/session/define-env.js';
import type { EnvSession } from '../../src/session/types.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { pollUntil } from '../support/poll.js';

const GridWorld = defineEnv({
  name: 'grid_world',
  action: z.object({ action: z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) }),
  observation: z.object({ x: z.number(), y: z.number(), message: z.string() }),
});

describe('session lifetime against the replay server', () => {
  let server: ReplayServer | undefined;
  const subscriptions: Subscription[] = [];

  afterEach(async () => {
    for (const sub of subscriptions.splice(0)) sub.unsubscribe();
    await server?.close();
    server = undefined;
  });

  it('unsubscribing during an in-flight step closes the socket and drops the late reply', async () => {
    // The step's reply is held until the test releases it: after the close.
    server = await startReplayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl', hold: (r) => r.body.includes('"step"') });
    const seen: string[] = [];
    const sub = GridWorld.connect(server.url, { transport: 'ws' })
      .pipe(switchMap((env) => concat(env.reset(), env.step({ action: 'DOWN' }))))
      .subscribe({
        next: (r) => seen.push(r.observation.message),
        error: (e: unknown) => seen.push(`error: ${String(e)}`),
        complete: () => seen.push('complete'),
      });
    subscriptions.push(sub);
    const live = server;
    await pollUntil(() => live.received.some((r) => r.kind === 'ws' && r.body.includes('"step"')), 'the step frame to arrive');
    expect(live.openSockets()).toBe(1);
    sub.unsubscribe();
    await pollUntil(() => live.openSockets() === 0, 'the server to see the socket closed');
    live.release(); // the late reply: there is no socket left to carry it
    expect(seen).toEqual(['Welcome to Grid World! Goal is at [4, 4].']);
    expect(live.received.filter((r) => r.kind === 'ws').map((r) => JSON.parse(r.body) as unknown)).toEqual([
      { type: 'reset', data: {} },
      { type: 'step', data: { action: 'DOWN' } },
      { type: 'close' },
    ]);
  });

  it('fails a second session with CapacityError (with context) when the server allows one', async () => {
    server = await startReplayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl', capacity: 1 });
    let first: EnvSession<{ action: 'UP' | 'DOWN' | 'LEFT' | 'RIGHT' }, { x: number }> | undefined;
    const firstReset = new Promise<void>((resolve, reject) => {
      subscriptions.push(
        GridWorld.connect(server!.url)
          .pipe(switchMap((env) => ((first = env), env.reset())))
          .subscribe({ next: () => resolve(), error: reject }),
      );
    });
    await firstReset;
    expect(first?.transport).toBe('ws');

    const error = await lastValueFrom(
      GridWorld.connect(server.url).pipe(
        switchMap((env) => env.reset()),
        ignoreElements(),
        timeout(5_000),
        catchError((e: unknown) => of(e)),
      ),
    );
    expect(error).toBeInstanceOf(CapacityError);
    expect((error as CapacityError).maxSessions).toBe(1);
    expect((error as CapacityError).context).toMatchObject({ env: 'grid_world', url: server.url, transport: 'ws', stepIndex: 0 });
    expect(server.totalSockets).toBe(2);
    const live = server;
    await pollUntil(() => live.openSockets() === 1, 'the refused socket to close');
  });

  it('a session used after its subscription ended errors with SessionStateError and sends nothing', async () => {
    server = await startReplayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl' });
    const env = await firstValueFrom(GridWorld.connect(server.url).pipe(timeout(5_000))); // unsubscribes: closes it
    const live = server;
    await pollUntil(() => live.openSockets() === 0, 'the socket to close');
    const error = await lastValueFrom(env.reset().pipe(catchError((e: unknown) => of(e))));
    expect(error).toBeInstanceOf(SessionStateError);
    expect((error as SessionStateError).context).toMatchObject({ env: 'grid_world', request: 'reset', url: server.url });
    expect(server.received.filter((r) => r.kind === 'ws').map((r) => r.body)).toEqual(['{"type":"close"}']);
  });
});
