import { catchError, firstValueFrom, ignoreElements, of, timeout } from 'rxjs';
import { z } from 'zod';
import { SessionIdleError } from '../../src/errors/index.js';
import { echoMcpEnv } from '../../src/envs/echo-mcp.js';
import { defineEnv } from '../../src/session/define-env.js';
import { defineServerEnv } from '../../src/environment/environment.js';
import { serve, DEFAULT_IDLE_TIMEOUT_MS } from '../../src/server/serve.js';
import { virtualClock } from '../helpers/virtual-clock.js';
import { Cleanup, openSocket, type TestSocket } from './support.js';
import { pollUntil } from '../support/poll.js';

/**
 * Idle sessions give their slot back: one unauthenticated `openenv/session/create` (or a client
 * that wandered off) must not hold `maxSessions` until the server restarts. Virtual time: the
 * server's idle timers run on an injected scheduler.
 */
const rpc = (url: string, body: unknown) =>
  fetch(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json()) as Promise<Record<string, any>>;

/** A pong proves every frame the server sent before it has arrived (frames travel in order). */
const roundTrip = (socket: TestSocket): Promise<void> => new Promise((resolve) => {
  socket.socket.once('pong', () => resolve());
  socket.socket.ping();
});

const Echo = defineEnv({ name: 'echo_mcp', action: z.record(z.string(), z.unknown()), observation: z.record(z.string(), z.unknown()) });

describe('idle sessions are closed by default (both kinds) and free their slot at once', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('an openenv/session/create session idles out after the default; the slot is free; its id then says why', async () => {
    const clock = virtualClock();
    const server = cleanup.server(await serve(echoMcpEnv, { maxSessions: 1, scheduler: clock.scheduler, pingIntervalMs: 0 }));
    const created = await rpc(server.url, { jsonrpc: '2.0', id: 1, method: 'openenv/session/create' });
    const sessionId = created['result'].session_id as string;
    const refused = cleanup.socket(await openSocket(server.url));
    expect(await refused.next()).toMatchObject({ type: 'error', data: { code: 'CAPACITY_REACHED' } });

    clock.advance(DEFAULT_IDLE_TIMEOUT_MS - 1);
    expect(server.activeSessions()).toBe(1);
    clock.advance(1);
    expect(server.activeSessions()).toBe(0);
    const admitted = cleanup.socket(await openSocket(server.url));
    admitted.sendJson({ type: 'reset' });
    expect(await admitted.next()).toMatchObject({ type: 'observation' });

    const late = await rpc(server.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo_message', arguments: { message: 'hi' }, session_id: sessionId } });
    expect(late['error']).toMatchObject({ code: -32602, message: expect.stringContaining(`closed by the server after ${DEFAULT_IDLE_TIMEOUT_MS} ms idle`) });
  });

  it('a quiet /ws session is closed after the default (SESSION_ERROR idle_timeout, close 4408); the client raises SessionIdleError', async () => {
    const clock = virtualClock();
    const server = cleanup.server(await serve(echoMcpEnv, { maxSessions: 1, scheduler: clock.scheduler, pingIntervalMs: 0 }));
    const seen: unknown[] = [];
    // The library's own client, idle after its reset: the server's close is its typed error.
    const session = Echo.connect(server.url, { transport: 'ws', keepalive: false });
    const failed = firstValueFrom(
      session.pipe(
        ignoreElements(),
        timeout(15_000),
        catchError((error: unknown) => of(error)),
      ),
      { defaultValue: undefined },
    );
    await pollUntil(() => server.activeSessions() === 1, 'the client session to open', { timeoutMs: 10_000 });
    seen.push(await Promise.race([failed, new Promise((r) => setTimeout(() => r('still open'), 50))]));
    expect(seen).toEqual(['still open']);
    clock.advance(DEFAULT_IDLE_TIMEOUT_MS);
    const error = await failed;
    expect(error).toBeInstanceOf(SessionIdleError);
    expect(error).toMatchObject({ code: 'ERR_SESSION_IDLE', idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS });
    await pollUntil(() => server.activeSessions() === 0, 'the idle session to free its slot', { timeoutMs: 10_000 });
  });

  it('a step that runs longer than the idle timeout is not idling: the session closes only once it has been quiet that long', async () => {
    const clock = virtualClock();
    let release: (() => void) | undefined;
    const Slow = defineServerEnv({
      name: 'slow',
      action: z.strictObject({}),
      observation: z.strictObject({ ok: z.boolean() }),
      create: () => ({
        reset: () => ({ observation: { ok: true }, reward: null, done: false }),
        step: () =>
          new Promise<{ observation: { ok: boolean }; reward: number; done: boolean }>((resolve) => {
            release = () => resolve({ observation: { ok: true }, reward: 0, done: false });
          }),
        state: () => ({ episode_id: null, step_count: 0 }),
      }),
    });
    const server = cleanup.server(await serve(Slow, { idleTimeoutMs: 1_000, scheduler: clock.scheduler, pingIntervalMs: 0 }));
    const socket = cleanup.socket(await openSocket(server.url));
    socket.sendJson({ type: 'step', data: {} });
    await pollUntil(() => release !== undefined, 'the step to start', { timeoutMs: 10_000 });
    clock.advance(5_000); // five idle periods while the env works
    await roundTrip(socket);
    expect(socket.pending()).toBe(0);
    release!();
    expect(await socket.next()).toMatchObject({ type: 'observation' });
    clock.advance(999);
    await roundTrip(socket);
    expect(socket.pending()).toBe(0);
    clock.advance(1_001);
    expect(await socket.next()).toMatchObject({ type: 'error', data: { code: 'SESSION_ERROR', reason: 'idle_timeout' } });
    expect((await socket.closed()).code).toBe(4408);
  });

  it('idleTimeoutMs: 0 turns it off', async () => {
    const clock = virtualClock();
    const server = cleanup.server(await serve(echoMcpEnv, { maxSessions: 2, idleTimeoutMs: 0, scheduler: clock.scheduler, pingIntervalMs: 0 }));
    const quiet = cleanup.socket(await openSocket(server.url));
    await rpc(server.url, { jsonrpc: '2.0', id: 1, method: 'openenv/session/create' });
    clock.advance(DEFAULT_IDLE_TIMEOUT_MS * 100);
    await roundTrip(quiet);
    expect(quiet.pending()).toBe(0);
    expect(quiet.socket.readyState).toBe(quiet.socket.OPEN);
    expect(server.activeSessions()).toBe(2);
  });

  it('rejects a negative idleTimeoutMs', async () => {
    await expect(serve(echoMcpEnv, { idleTimeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_SERVE', message: expect.stringContaining('idleTimeoutMs') });
  });
});
