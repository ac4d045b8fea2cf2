import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { firstValueFrom, lastValueFrom, merge, toArray } from 'rxjs';
import type { WebSocket } from 'ws';
import {
  CapacityError,
  ConnectionClosedError,
  ConnectionError,
  HttpStatusError,
  InvalidOptionError,
  TimeoutError,
} from '../../src/errors/index.js';
import type { Transport, TransportOptions } from '../../src/transport/transport.js';
import { eventLoopWrites, ReplyPhaseWrites } from '../../src/transport/reply-phase-writes.js';
import { openWsTransport } from '../../src/transport/ws-transport.js';
import { connect, errorOf, startScriptedWsServer, useTestCleanups, type ScriptedWsServer } from './support.js';
import { pollUntil } from '../support/poll.js';

const GRID_WS = 'grid_world_env-ws.jsonl';
const openConnections = (): number => eventLoopWrites.openConnections;

const GRID_HTTP = 'grid_world_env.jsonl';

describe('openWsTransport', () => {
  const { cleanups, replayServer } = useTestCleanups();

  async function scriptedServer(script: Parameters<typeof startScriptedWsServer>[0]): Promise<ScriptedWsServer> {
    const server = await startScriptedWsServer(script);
    cleanups.push(() => server.close());
    return server;
  }
  async function open(url: string, options?: TransportOptions): Promise<Transport> {
    const opened = await connect(openWsTransport(url, options));
    cleanups.push(() => opened.subscription.unsubscribe());
    return opened.transport;
  }
  function watchFailure(transport: Transport): unknown[] {
    const failures: unknown[] = [];
    const subscription = transport.failure$.subscribe({ error: (error: unknown) => failures.push(error), complete: () => failures.push('completed') });
    cleanups.push(() => subscription.unsubscribe());
    return failures;
  }

  it('is kind ws with the base http url; health/schema/metadata go over HTTP', async () => {
    const replay = await replayServer({ http: GRID_HTTP, ws: GRID_WS });
    const transport = await open(`${replay.url}/`);
    expect(transport.kind).toBe('ws');
    expect(transport.url).toBe(replay.url);
    await expect(firstValueFrom(transport.health())).resolves.toEqual({ status: 'healthy' });
    await expect(firstValueFrom(transport.metadata())).resolves.toMatchObject({ name: 'GridWorldEnvironment' });
    expect(replay.received.map((r) => `${r.kind} ${r.path}`)).toEqual(['http /health', 'http /metadata']);
  });

  it('counts for the write policy (reply-phase-writes) from open until closed, or until the server closed it', async () => {
    const replay = await replayServer({ http: GRID_HTTP, ws: GRID_WS });
    const before = openConnections();
    const opened = await connect(openWsTransport(replay.url));
    expect(openConnections()).toBe(before + 1);
    opened.subscription.unsubscribe();
    expect(openConnections()).toBe(before);

    const scripted = await scriptedServer({ onMessage: (ws) => ws.close(1011) });
    const dropped = await open(scripted.url);
    const failures = watchFailure(dropped);
    expect(openConnections()).toBe(before + 1);
    await firstValueFrom(dropped.step({ action: 'DOWN' })).catch(() => undefined);
    await pollUntil(() => failures.length > 0, 'failures.length > 0');
    expect(openConnections()).toBe(before);
    dropped.close(); // after the failure: no second count-down
    expect(openConnections()).toBe(before);

    // batchWrites: false opts a transport out: not counted, every frame written at once.
    const unbatched = await connect(openWsTransport(replay.url, { batchWrites: false }));
    expect(openConnections()).toBe(before);
    await expect(firstValueFrom(unbatched.transport.reset())).resolves.toMatchObject({ done: false });
    unbatched.subscription.unsubscribe();
    expect(openConnections()).toBe(before);
  });

  it('batchWrites: a ReplyPhaseWrites is a group of its own: two groups and the default do not count each other\'s connections', async () => {
    const replay = await replayServer({ http: GRID_HTTP, ws: GRID_WS });
    const before = openConnections();
    const fleetA = new ReplyPhaseWrites();
    const fleetB = new ReplyPhaseWrites();
    const a1 = await connect(openWsTransport(replay.url, { batchWrites: fleetA }));
    const a2 = await connect(openWsTransport(replay.url, { batchWrites: fleetA }));
    const b1 = await connect(openWsTransport(replay.url, { batchWrites: fleetB }));
    const byDefault = await connect(openWsTransport(replay.url, { batchWrites: true }));
    cleanups.push(() => [a1, a2, b1, byDefault].forEach((o) => o.subscription.unsubscribe()));
    expect([fleetA.openConnections, fleetB.openConnections, openConnections() - before]).toEqual([2, 1, 1]);
    // A transport in a group of its own still works (its frames go through that group).
    await expect(firstValueFrom(a1.transport.reset())).resolves.toMatchObject({ done: false });
    a2.subscription.unsubscribe();
    expect([fleetA.openConnections, fleetB.openConnections, openConnections() - before]).toEqual([1, 1, 1]);
    b1.subscription.unsubscribe();
    byDefault.subscription.unsubscribe();
    expect([fleetA.openConnections, fleetB.openConnections, openConnections() - before]).toEqual([1, 0, 0]);
  });

  it('batchWrites of another kind is an InvalidOptionError naming the option; nothing is opened', async () => {
    const replay = await replayServer({ http: GRID_HTTP, ws: GRID_WS });
    const error = await connect(openWsTransport(replay.url, { batchWrites: { immediateHandlers: 4 } as never })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'batchWrites' });
    expect(replay.upgrades).toHaveLength(0);
    expect(() => new ReplyPhaseWrites(0)).toThrow(InvalidOptionError);
  });

  it('sends custom headers on the upgrade and on the HTTP info requests', async () => {
    const replay = await replayServer({ http: GRID_HTTP, ws: GRID_WS });
    const transport = await open(replay.url, { headers: { authorization: 'Bearer t0k' } });
    await firstValueFrom(transport.health());
    expect(replay.upgrades).toHaveLength(1);
    expect(replay.upgrades[0]!.headers['authorization']).toBe('Bearer t0k');
    expect(replay.received[0]!.headers?.['authorization']).toBe('Bearer t0k');
  });

  it('offers permessage-deflate only when asked', async () => {
    const replay = await replayServer({ ws: GRID_WS });
    await open(replay.url);
    await open(replay.url, { perMessageDeflate: true });
    expect(replay.upgrades[0]!.headers['sec-websocket-extensions']).toBeUndefined();
    expect(replay.upgrades[1]!.headers['sec-websocket-extensions']).toMatch(/permessage-deflate/);
  });

  describe('capacity refusal (unsolicited CAPACITY_REACHED right after the 101)', () => {
    it('reports CapacityError on failure$ and to every later request, never a protocol error', async () => {
      const replay = await replayServer({ ws: GRID_WS, capacity: 1 });
      const first = await open(replay.url);
      await firstValueFrom(first.reset({}));
      const second = await open(replay.url);
      const failures = watchFailure(second);
      await pollUntil(() => failures.length === 1, 'failures.length === 1');
      const failure = failures[0] as CapacityError;
      expect(failure).toBeInstanceOf(CapacityError);
      expect(failure).toMatchObject({ code: 'ERR_CAPACITY', serverCode: 'CAPACITY_REACHED', activeSessions: 1, maxSessions: 1 });
      expect(failure.context).toMatchObject({ url: replay.url, transport: 'ws', request: 'connect' });
      const later = (await errorOf(second.reset({}))) as CapacityError;
      expect(later).toBeInstanceOf(CapacityError);
      expect(later.context.request).toBe('reset');
      // The first session is untouched.
      await expect(firstValueFrom(first.step({ action: 'DOWN' }))).resolves.toMatchObject({ observation: { x: 1, y: 0 } });
      await pollUntil(() => replay.openSockets() === 1, 'replay.openSockets() === 1');
    });

    it('fails a request already pending when the frame arrives with CapacityError', async () => {
      const capacity = { type: 'error', data: { message: 'Server at capacity: 1/1 sessions active.', code: 'CAPACITY_REACHED', active_sessions: 1, max_sessions: 1 } };
      const scripted = await scriptedServer({ onMessage: (ws) => ws.send(JSON.stringify(capacity)) });
      const transport = await open(scripted.url);
      const failures = watchFailure(transport);
      const error = await errorOf(transport.reset());
      expect(error).toBeInstanceOf(CapacityError);
      expect((error as CapacityError).context.request).toBe('reset');
      expect(failures).toEqual([error]);
    });
  });

  describe('handshake failures error the transport Observable', () => {
    it('generation A refuses /ws with 403 → HttpStatusError', async () => {
      const replay = await replayServer({ http: 'echo_env@8f12109e.jsonl' });
      const error = await connect(openWsTransport(replay.url)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpStatusError);
      expect((error as HttpStatusError).status).toBe(403);
      expect((error as HttpStatusError).context).toMatchObject({ url: replay.url, transport: 'ws', request: 'connect' });
    });

    it('401 without a token → HttpStatusError carrying the detail', async () => {
      const server = createHttpServer();
      server.on('upgrade', (_req, socket: Socket) => {
        const body = '{"detail":"Not authenticated"}';
        socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise((resolve) => server.close(resolve)));
      const error = await connect(openWsTransport(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpStatusError);
      expect((error as HttpStatusError).status).toBe(401);
      expect((error as HttpStatusError).detail).toBe('Not authenticated');
    });

    it('a server that never answers the upgrade → TimeoutError phase connect', async () => {
      const held: Socket[] = [];
      const server = createNetServer((socket) => held.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => {
        for (const socket of held) socket.destroy();
        return new Promise((resolve) => server.close(resolve));
      });
      const started = Date.now();
      const error = await connect(openWsTransport(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connectTimeoutMs: 150 })).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ phase: 'connect', timeoutMs: 150 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('a closed port → ConnectionError with ECONNREFUSED', async () => {
      const scripted = await startScriptedWsServer({});
      const url = scripted.url;
      await scripted.close();
      const error = await connect(openWsTransport(url)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).systemCode).toBe('ECONNREFUSED');
    });

    it('unsubscribing before the socket opens drops the half-open connection', async () => {
      const held: Socket[] = [];
      let closed = 0;
      const server = createNetServer((socket) => {
        held.push(socket);
        socket.resume(); // read, so the client's FIN is seen
        socket.on('close', () => (closed += 1));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => {
        for (const socket of held) socket.destroy();
        return new Promise((resolve) => server.close(resolve));
      });
      const subscription = openWsTransport(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).subscribe({ error: () => undefined });
      await pollUntil(() => held.length === 1, 'held.length === 1');
      subscription.unsubscribe();
      await pollUntil(() => closed === 1, 'closed === 1');
    });
  });

  it('reply timeout: the request fails, the socket is discarded, later calls get ConnectionClosedError', async () => {
    const replay = await replayServer({ ws: GRID_WS, hold: () => true }); // never answers
    const transport = await open(replay.url, { replyTimeoutMs: 100 });
    const failures = watchFailure(transport);
    const onTheWire = errorOf(transport.reset({}));
    const queued = errorOf(transport.step({ action: 'DOWN' }));
    const timeout = await onTheWire;
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(timeout).toMatchObject({ phase: 'reply', timeoutMs: 100, context: { transport: 'ws', request: 'reset' } });
    expect(await queued).toBeInstanceOf(ConnectionClosedError);
    expect(failures).toEqual([timeout]);
    await pollUntil(() => replay.openSockets() === 0, 'replay.openSockets() === 0');
    expect(replay.received).toHaveLength(1); // the queued step never reached the wire
    const later = await errorOf(transport.state());
    expect(later).toBeInstanceOf(ConnectionClosedError);
    expect((later as ConnectionClosedError).context.request).toBe('state');
  });

  it('measures the reply timeout from each request, not from the first one (virtual clock, held replies)', async () => {
    const observation = (n: number) => JSON.stringify({ type: 'observation', data: { observation: { n }, reward: true, done: false } });
    const arrived: Array<() => void> = [];
    const held: Array<{ ws: WebSocket; n: number }> = [];
    let count = 0;
    const scripted = await scriptedServer({
      onMessage: (ws) => {
        count += 1;
        if (count === 1) ws.send(observation(1));
        else held.push({ ws, n: count }); // answered when the test says, or never
        arrived.shift()?.();
      },
    });
    const nextArrival = () => new Promise<void>((resolve) => arrived.push(resolve));
    // Only the transport's timers and clock are virtual; sockets and their events stay real.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'hrtime'] });
    try {
      const transport = await open(scripted.url, { replyTimeoutMs: 1_000 });
      await expect(firstValueFrom(transport.step({ n: 1 }))).resolves.toEqual({ observation: { n: 1 }, reward: 1, done: false });
      jest.advanceTimersByTime(600);
      let second: unknown;
      const secondArrived = nextArrival();
      transport.step({ n: 2 }).subscribe({ next: (v) => (second = v), error: (e: unknown) => (second = e) });
      await secondArrived;
      // 1 100 ms after the first request, 500 ms after its own: the timer armed for the first fires
      // at 1 000 ms and must wait for this request's own deadline (1 600 ms).
      jest.advanceTimersByTime(500);
      expect(second).toBeUndefined();
      jest.advanceTimersByTime(400);
      expect(second).toBeUndefined();
      held.shift()!.ws.send(observation(2));
      await pollUntil(() => second !== undefined, 'second !== undefined', { everyTurn: true });
      expect(second).toEqual({ observation: { n: 2 }, reward: 1, done: false });
      let third: unknown;
      const thirdArrived = nextArrival();
      transport.step({ n: 3 }).subscribe({ error: (e: unknown) => (third = e) });
      await thirdArrived;
      jest.advanceTimersByTime(999);
      expect(third).toBeUndefined();
      jest.advanceTimersByTime(1);
      expect(third).toBeInstanceOf(TimeoutError);
      expect(third).toMatchObject({ phase: 'reply', timeoutMs: 1_000, context: { request: 'step' } });
    } finally {
      jest.useRealTimers();
    }
  });

  it('unsubscribing mid-request drops the late reply; the next request waits for it, then gets its own answer', async () => {
    const replay = await replayServer({ ws: GRID_WS, hold: (r) => r.body.includes('"step"') });
    const transport = await open(replay.url);
    await firstValueFrom(transport.reset({}));
    const seen: unknown[] = [];
    const abandoned = transport.step({ action: 'DOWN' }).subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
    await pollUntil(() => replay.held() === 1, 'replay.held() === 1');
    abandoned.unsubscribe();
    const next = firstValueFrom(transport.step({ action: 'DOWN' }));
    await replay.flush();
    expect(replay.received).toHaveLength(2); // still waiting for the abandoned reply: one request on the wire
    replay.release(); // the abandoned reply: read and dropped
    await pollUntil(() => replay.held() === 1, 'replay.held() === 1');
    expect(replay.received).toHaveLength(3);
    replay.release();
    await expect(next).resolves.toEqual({ observation: { x: 2, y: 0, message: 'Keep going...' }, reward: -0.1, done: false });
    expect(seen).toEqual([]);
  });

  it('unsubscribing a queued request removes it before it reaches the wire', async () => {
    const replay = await replayServer({ ws: GRID_WS, hold: () => true });
    const transport = await open(replay.url);
    const first = firstValueFrom(transport.reset({}));
    const dropped = transport.step({ action: 'DOWN' }).subscribe();
    const third = firstValueFrom(transport.step({ action: 'RIGHT' }));
    dropped.unsubscribe();
    await pollUntil(() => replay.held() === 1, 'replay.held() === 1');
    replay.release();
    await first;
    await pollUntil(() => replay.held() === 1, 'replay.held() === 1');
    replay.release();
    await expect(third).resolves.toMatchObject({ observation: { x: 4, y: 1 } });
    expect(replay.received.map((r) => r.body)).toEqual(['{"type":"reset","data":{}}', '{"type":"step","data":{"action":"RIGHT"}}']);
  });

  it('keeps exactly one request on the wire and answers in order', async () => {
    const replay = await replayServer({ ws: GRID_WS, hold: () => true });
    const transport = await open(replay.url);
    const all = lastValueFrom(merge(transport.reset({}), transport.step({ action: 'DOWN' }), transport.step({ action: 'DOWN' })).pipe(toArray()));
    for (let sent = 1; sent <= 3; sent++) {
      await pollUntil(() => replay.held() === 1, 'replay.held() === 1');
      await replay.flush();
      expect(replay.received).toHaveLength(sent); // the others wait until this one is answered
      replay.release();
    }
    const results = await all;
    expect(results.map((r) => r.observation['x'])).toEqual([0, 1, 2]);
  });

  it('close() sends {"type":"close"}, is idempotent, fails pending calls and leaves failure$ silent', async () => {
    const replay = await replayServer({ ws: GRID_WS, hold: () => true });
    const transport = await open(replay.url);
    const failures = watchFailure(transport);
    const pending = errorOf(transport.reset({}));
    await pollUntil(() => replay.received.length === 1, 'replay.received.length === 1');
    transport.close();
    transport.close();
    expect(await pending).toBeInstanceOf(ConnectionClosedError);
    await pollUntil(() => replay.openSockets() === 0, 'replay.openSockets() === 0');
    expect(replay.received.map((r) => r.body)).toEqual(['{"type":"reset","data":{}}', '{"type":"close"}']);
    replay.release(); // the reply comes too late: the socket is gone
    expect(failures).toEqual([]);
    expect(await errorOf(transport.step({ action: 'UP' }))).toBeInstanceOf(ConnectionClosedError);
    const lateWatcher = watchFailure(transport);
    expect(lateWatcher).toEqual([]);
  });

  it('unsubscribing the transport Observable closes the socket the same way', async () => {
    const replay = await replayServer({ ws: GRID_WS });
    const opened = await connect(openWsTransport(replay.url));
    await firstValueFrom(opened.transport.reset({}));
    opened.subscription.unsubscribe();
    await pollUntil(() => replay.openSockets() === 0, 'replay.openSockets() === 0');
    expect(replay.received.at(-1)?.body).toBe('{"type":"close"}');
  });

  it('a server that closes the socket while a request is pending → ConnectionClosedError(code, reason)', async () => {
    const scripted = await scriptedServer({ onMessage: (ws) => ws.close(4000, 'env crashed') });
    const transport = await open(scripted.url);
    const failures = watchFailure(transport);
    const error = (await errorOf(transport.step({ a: 1 }))) as ConnectionClosedError;
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ closeCode: 4000, reason: 'env crashed', context: { transport: 'ws', request: 'step' } });
    expect(failures).toEqual([error]);
    const later = (await errorOf(transport.state())) as ConnectionClosedError;
    expect(later).toMatchObject({ closeCode: 4000, reason: 'env crashed', context: { request: 'state' } });
  });

  it('a server that closes an idle socket → failure$ errors with ConnectionClosedError', async () => {
    const scripted = await scriptedServer({});
    const transport = await open(scripted.url);
    const failures = watchFailure(transport);
    for (const ws of scripted.sockets) ws.close(1001, 'going away');
    await pollUntil(() => failures.length === 1, 'failures.length === 1');
    expect(failures[0]).toBeInstanceOf(ConnectionClosedError);
    expect(failures[0]).toMatchObject({ closeCode: 1001, reason: 'going away' });
    // failure$ replays the failure to a late subscriber
    expect(watchFailure(transport)).toEqual([failures[0]]);
  });
});
