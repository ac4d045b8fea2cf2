import { jest } from '@jest/globals';
import { request as httpRequest, Server } from 'node:http';
import { echoEnv } from '../../src/envs/echo.js';
import { gridWorldEnv } from '../../src/envs/grid-world.js';
import { serve } from '../../src/server/serve.js';
import { ServeError } from '../../src/errors/server-errors.js';
import { Cleanup, openSocket, type TestSocket } from './support.js';
import { virtualClock } from '../helpers/virtual-clock.js';
import { pollUntil } from '../support/poll.js';

/**
 * A ping from the client, answered by the server's pong: frames travel in order, so by then every
 * frame the server sent before has arrived and every frame the client sent before (its own pongs
 * included) was read by the server. Not a message: it does not re-arm the idle timer.
 */
function roundTrip(socket: TestSocket): Promise<void> {
  return new Promise((resolve) => {
    socket.socket.once('pong', () => resolve());
    socket.socket.ping();
  });
}

describe('serve() limits and lifecycle', () => {
  const cleanup = new Cleanup();
  afterEach(async () => {
    try {
      await cleanup.run();
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('binds 127.0.0.1 on a free port by default', async () => {
    const listen = jest.spyOn(Server.prototype, 'listen');
    const server = cleanup.server(await serve(echoEnv));
    expect(listen).toHaveBeenCalledWith(0, '127.0.0.1', expect.any(Function));
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(server.url + '/health')).status).toBe(200);
  });

  it('capacity: the second socket is refused while the first is open, and accepted once it closed', async () => {
    const server = cleanup.server(await serve(gridWorldEnv, { maxSessions: 1 }));
    const first = cleanup.socket(await openSocket(server.url));
    first.sendJson({ type: 'reset' });
    await first.next();
    expect(server.activeSessions()).toBe(1);
    const second = cleanup.socket(await openSocket(server.url));
    expect(await second.next()).toMatchObject({ type: 'error', data: { code: 'CAPACITY_REACHED', active_sessions: 1, max_sessions: 1 } });
    expect((await second.closed()).code).toBe(1000);
    first.sendJson({ type: 'close' });
    await first.closed();
    const third = cleanup.socket(await openSocket(server.url));
    third.sendJson({ type: 'reset' });
    expect(await third.next()).toMatchObject({ type: 'observation' });
    expect(server.activeSessions()).toBe(1);
  });

  it('maxSessions 3 allows three concurrent sessions with independent envs', async () => {
    const server = cleanup.server(await serve(gridWorldEnv, { maxSessions: 3 }));
    const clients = await Promise.all([0, 1, 2].map(async () => cleanup.socket(await openSocket(server.url))));
    clients.forEach((c, i) => {
      c.sendJson({ type: 'reset' });
      for (let k = 0; k < i; k++) c.sendJson({ type: 'step', data: { action: 'DOWN' } });
      c.sendJson({ type: 'state' });
    });
    for (const [i, c] of clients.entries()) {
      for (let k = 0; k <= i; k++) await c.next();
      expect(await c.next()).toMatchObject({ type: 'state', data: { step_count: i } });
    }
    expect(server.activeSessions()).toBe(3);
  });

  it('idle timeout: a quiet session gets SESSION_ERROR (reason idle_timeout) then close 4408; activity keeps it alive (virtual time)', async () => {
    const clock = virtualClock();
    const server = cleanup.server(await serve(echoEnv, { idleTimeoutMs: 150, scheduler: clock.scheduler }));
    const busy = cleanup.socket(await openSocket(server.url));
    for (let i = 0; i < 5; i++) {
      busy.sendJson({ type: 'state' });
      await busy.next(); // answered: the server has re-armed its idle timer
      clock.advance(100); // 5 x 100 ms > 150 ms in total, but never 150 ms in a row
    }
    await roundTrip(busy);
    expect(busy.pending()).toBe(0);
    expect(busy.socket.readyState).toBe(busy.socket.OPEN);
    busy.socket.close();
    await busy.closed();

    const quiet = cleanup.socket(await openSocket(server.url));
    clock.advance(149);
    await roundTrip(quiet); // anything the server sent before the pong has arrived by now
    expect(quiet.pending()).toBe(0);
    clock.advance(1);
    expect(await quiet.next()).toEqual({
      type: 'error',
      data: { message: 'Session idle for 150 ms: closed by the server', code: 'SESSION_ERROR', reason: 'idle_timeout', idle_timeout_ms: 150 },
    });
    expect(await quiet.closed()).toEqual({ code: 4408, reason: 'idle timeout' });
    await pollUntil(() => server.activeSessions() === 0, 'the idle session to free its slot', { timeoutMs: 10_000 });
  });

  it('token: 401 without or with a wrong bearer token on HTTP and on the WS upgrade; the token never shows; /health stays public', async () => {
    const token = 'tok-8f1e2d-secret';
    const server = cleanup.server(await serve(echoEnv, { token }));
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: token }, { authorization: `Basic ${token}` }];
    for (const headers of attempts) {
      // Readiness probes and Docker HEALTHCHECKs carry no token, as on OpenEnv servers.
      expect((await fetch(server.url + '/health', { headers })).status).toBe(200);
      for (const [method, path] of [['GET', '/metadata'], ['POST', '/step'], ['GET', '/nope'], ['GET', '/healthz']] as const) {
        const res = await fetch(server.url + path, { method, headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        const text = await res.text();
        expect(text).toBe('{"detail":"Not authenticated"}');
        expect(text).not.toContain(token);
      }
      await expect(openSocket(server.url, { headers })).rejects.toThrow('upgrade refused: 401');
    }
    const ok = await fetch(server.url + '/step', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"action":{"message":"hi"}}',
    });
    expect(ok.status).toBe(200);
    const client = cleanup.socket(await openSocket(server.url, { headers: { Authorization: `Bearer ${token}` } }));
    client.sendJson({ type: 'reset' });
    expect(await client.next()).toMatchObject({ type: 'observation' });
  });

  it('413 for a body over maxBodyBytes, declared or streamed; the server stays usable', async () => {
    const server = cleanup.server(await serve(echoEnv, { maxBodyBytes: 1024 }));
    const big = JSON.stringify({ action: { message: 'x'.repeat(2000) } });
    const declared = await fetch(server.url + '/step', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ detail: 'Request body too large' });

    // Chunked upload without Content-Length: refused once the limit is crossed.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(server.url + '/reset', { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write('x'.repeat(512));
      req.end();
    });
    expect(streamed).toBe(413);

    const small = await fetch(server.url + '/step', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":{"message":"ok"}}' });
    expect(small.status).toBe(200);
  });

  it('a /ws message over maxMessageBytes closes the socket with 1009 and frees the slot; pings go out every pingIntervalMs', async () => {
    const server = cleanup.server(await serve(echoEnv, { maxMessageBytes: 256, pingIntervalMs: 20 }));
    const client = cleanup.socket(await openSocket(server.url));
    const pinged = new Promise<void>((resolve) => client.socket.once('ping', () => resolve()));
    await pinged; // waits as long as it takes: no race
    client.sendJson({ type: 'step', data: { message: 'x'.repeat(300) } });
    expect((await client.closed()).code).toBe(1009);
    await pollUntil(() => server.activeSessions() === 0, 'the closed session to free its slot', { timeoutMs: 10_000 });
  });

  it('a peer that stops answering pings is cut after one missed pong, freeing its session slot (virtual time)', async () => {
    const clock = virtualClock();
    const server = cleanup.server(await serve(echoEnv, { pingIntervalMs: 30, scheduler: clock.scheduler }));
    const client = cleanup.socket(await openSocket(server.url));
    let pings = 0;
    client.socket.on('ping', () => pings++);
    for (let i = 1; i <= 3; i++) {
      clock.advance(30); // a ping goes out...
      await pollUntil(() => pings === i, `ping ${i}`, { timeoutMs: 10_000 });
      await roundTrip(client); // ...and the pong (sent before this frame) is back at the server
    }
    clock.advance(30); // a live peer answered every ping: it stays
    expect(server.activeSessions()).toBe(1);
    // A vanished peer: its TCP socket stops reading, so no pong ever comes back.
    (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    clock.advance(30); // ping 5 goes unanswered
    expect(server.activeSessions()).toBe(1);
    clock.advance(30); // no pong since: cut
    await pollUntil(() => server.activeSessions() === 0, 'the silent peer to be cut', { timeoutMs: 10_000 });
  });

  it('close() closes every session with 1001, frees the port, and is idempotent', async () => {
    const server = await serve(echoEnv, { maxSessions: 2 });
    const a = cleanup.socket(await openSocket(server.url));
    const b = cleanup.socket(await openSocket(server.url));
    a.sendJson({ type: 'reset' });
    await a.next();
    expect(server.activeSessions()).toBe(2);
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
    expect(await a.closed()).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect((await b.closed()).code).toBe(1001);
    expect(server.activeSessions()).toBe(0);
    await expect(fetch(server.url + '/health')).rejects.toThrow();
  });

  it('rejects bad options and a busy port with ServeError (never echoing the token)', async () => {
    await expect(serve(echoEnv, { maxSessions: 0 })).rejects.toThrow(ServeError);
    await expect(serve(echoEnv, { port: 70000 })).rejects.toThrow(/port/);
    await expect(serve(echoEnv, { token: '' })).rejects.toThrow(/token must not be empty/);
    const bad = await serve(echoEnv, { token: 42 as unknown as string }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ServeError);
    expect((bad as Error).message).not.toContain('42');
    const first = cleanup.server(await serve(echoEnv));
    const busy = await serve(echoEnv, { port: first.port }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ServeError);
    expect((busy as ServeError).message).toMatch(/Cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  });
});
