import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, lastValueFrom, merge, NEVER, toArray, type Subscription } from 'rxjs';
import { ConnectionClosedError, ConnectionError, InvalidUrlError, ProtocolError, TimeoutError } from '../../src/errors/index.js';
import { openHttpTransport } from '../../src/transport/http-transport.js';
import { transportRequestOf } from '../../src/transport/transport-request.js';
import { createSession } from '../../src/session/create-session.js';
import type { WireStepResult } from '../../src/transport/transport.js';
import { mapGotError } from '../../src/transport/http-errors.js';
import { startReplayServer } from '../helpers/replay-server.js';
import { connect, errorOf, startCannedHttpServer, type CannedHttpServer } from './support.js';
import { pollUntil } from '../support/poll.js';

const OK_STEP = { status: 200, content_type: 'application/json', response_body: { observation: { n: 1 }, reward: true, done: false } };

describe('openHttpTransport', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function canned(): Promise<CannedHttpServer> {
    const server = await startCannedHttpServer();
    cleanups.push(() => server.close());
    return server;
  }
  async function open(url: string, options?: Parameters<typeof openHttpTransport>[1]) {
    const opened = await connect(openHttpTransport(url, options));
    cleanups.push(() => opened.subscription.unsubscribe());
    return opened.transport;
  }

  it('is kind http, strips a trailing slash from the url and has a never-failing failure$', async () => {
    const server = await canned();
    const transport = await open(`${server.url}/`);
    expect(transport.kind).toBe('http');
    expect(transport.url).toBe(server.url);
    expect(transport.failure$).toBe(NEVER);
  });

  it('normalises a boolean reward to 1', async () => {
    const server = await canned();
    server.respondWith(OK_STEP);
    const transport = await open(server.url);
    await expect(firstValueFrom(transport.step({ a: 1 }))).resolves.toEqual({ observation: { n: 1 }, reward: 1, done: false });
  });

  it('sends a fresh uuid request_id with every step, and timeout_s when given', async () => {
    const server = await canned();
    server.respondWith(OK_STEP);
    const transport = await open(server.url);
    await firstValueFrom(transport.step({ a: 1 }));
    await firstValueFrom(transport.step({ a: 2 }, { timeoutS: 2.5 }));
    const bodies = server.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(bodies[0]).toEqual({ action: { a: 1 }, request_id: expect.any(String) });
    expect(bodies[1]).toEqual({ action: { a: 2 }, timeout_s: 2.5, request_id: expect.any(String) });
    expect(bodies[0]!['request_id']).not.toBe(bodies[1]!['request_id']);
    expect(server.requests.every((r) => r.path === '/step' && r.headers['content-type'] === 'application/json')).toBe(true);
  });

  it('sends custom headers with every request', async () => {
    const replay = await startReplayServer({ http: 'grid_world_env.jsonl' });
    cleanups.push(() => replay.close());
    const transport = await open(replay.url, { headers: { authorization: 'Bearer t0k', 'x-trace': 'abc' } });
    await firstValueFrom(transport.health());
    await firstValueFrom(transport.reset());
    await firstValueFrom(transport.step({ action: 'DOWN' }));
    expect(replay.received).toHaveLength(3);
    for (const request of replay.received) expect(request.headers).toMatchObject({ authorization: 'Bearer t0k', 'x-trace': 'abc' });
    expect(replay.mismatches).toEqual([]);
  });

  it('sends reset() with no body and no Content-Type, reset({}) with {}', async () => {
    const server = await canned();
    server.respondWith(OK_STEP);
    const transport = await open(server.url);
    await firstValueFrom(transport.reset());
    await firstValueFrom(transport.reset({ seed: 3, episode_id: 'e', custom: [1] }));
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/reset', body: '' });
    expect(server.requests[0]!.headers['content-type']).toBeUndefined();
    expect(JSON.parse(server.requests[1]!.body)).toEqual({ seed: 3, episode_id: 'e', custom: [1] });
  });

  it('maps a 200 body that is not JSON to a ProtocolError', async () => {
    const server = await canned();
    server.respondWith({ status: 200, content_type: 'text/html', response_body: '<html>proxy login</html>' });
    const transport = await open(server.url);
    const error = await errorOf(transport.state());
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).raw).toBe('<html>proxy login</html>');
    expect((error as ProtocolError).context).toMatchObject({ url: server.url, transport: 'http', request: 'state' });
  });

  it('maps a 200 JSON body of the wrong shape to a ProtocolError naming the field', async () => {
    const server = await canned();
    server.respondWith({ status: 200, content_type: 'application/json', response_body: { observation: {}, reward: 'high' } });
    const transport = await open(server.url);
    const error = await errorOf(transport.step({ a: 1 }));
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(/reward/);
    expect((error as ProtocolError).message).toMatch(/done/);
  });

  it('maps a refused connection to a ConnectionError with the system code', async () => {
    const server = await canned();
    const url = server.url;
    await server.close();
    const transport = await open(url);
    const error = await errorOf(transport.health());
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).systemCode).toBe('ECONNREFUSED');
    expect((error as ConnectionError).context).toMatchObject({ url, transport: 'http', request: 'health' });
  });

  it('maps a server that resets the connection to a ConnectionError', async () => {
    const server: Server = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const transport = await open(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const error = await errorOf(transport.step({ a: 1 }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).systemCode).toBe('ECONNRESET');
  });

  it('maps a reply that never comes to a TimeoutError in the reply phase and never retries the step', async () => {
    const server = await canned();
    server.respondWith(OK_STEP, 'hold'); // never released
    const transport = await open(server.url, { replyTimeoutMs: 100 });
    const error = await errorOf(transport.step({ a: 1 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('reply');
    expect((error as TimeoutError).timeoutMs).toBe(100);
    expect((error as TimeoutError).context).toMatchObject({ transport: 'http', request: 'step' });
    // A retry would have been sent (and timed out) before the error surfaced.
    expect(server.requests).toHaveLength(1);
    await pollUntil(() => server.aborted === 1, 'server.aborted === 1'); // the client gave the request up
  });

  it("maps got's connect-phase timeouts to phase connect", () => {
    const context = { url: 'http://127.0.0.1:1', transport: 'http' as const, request: 'reset' as const };
    const timeouts = { connectTimeoutMs: 11, replyTimeoutMs: 22 };
    const connectError = mapGotError({ name: 'TimeoutError', code: 'ETIMEDOUT', event: 'connect' }, context, timeouts, false);
    expect(connectError).toBeInstanceOf(TimeoutError);
    expect(connectError).toMatchObject({ phase: 'connect', timeoutMs: 11, context });
    expect(mapGotError({ name: 'TimeoutError', event: 'read' }, context, timeouts, false)).toMatchObject({ phase: 'reply', timeoutMs: 22 });
  });

  it('aborts the request when unsubscribed', async () => {
    const server = await canned();
    server.respondWith(OK_STEP, 'hold');
    const transport = await open(server.url);
    const values: unknown[] = [];
    const subscription: Subscription = transport.step({ a: 1 }).subscribe({ next: (v) => values.push(v), error: (e) => values.push(e) });
    await pollUntil(() => server.requests.length === 1, 'server.requests.length === 1');
    subscription.unsubscribe();
    await pollUntil(() => server.aborted === 1, 'server.aborted === 1');
    expect(values).toEqual([]);
  });

  it('runs reset/step/state one at a time, in subscription order', async () => {
    const server = await canned();
    server.respondWith(OK_STEP, 'hold');
    const transport = await open(server.url);
    const all = lastValueFrom(merge(transport.step({ n: 1 }), transport.step({ n: 2 }), transport.step({ n: 3 })).pipe(toArray()));
    for (let sent = 1; sent <= 3; sent++) {
      await pollUntil(() => server.requests.length >= sent, 'server.requests.length >= sent');
      expect(server.held()).toBe(1); // the others wait for this answer
      server.release();
    }
    await expect(all).resolves.toHaveLength(3);
    expect(server.maxHeld).toBe(1); // never two requests at the server at once
    expect(server.requests.map((r) => (JSON.parse(r.body) as { action: unknown }).action)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('fails calls after close() with ConnectionClosedError; close is idempotent', async () => {
    const server = await canned();
    const transport = await open(server.url);
    transport.close();
    transport.close();
    const error = await errorOf(transport.health());
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as ConnectionClosedError).context).toMatchObject({ transport: 'http', request: 'health' });
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a URL that is not http(s) with InvalidUrlError', async () => {
    await expect(connect(openHttpTransport('ftp://127.0.0.1/'))).rejects.toBeInstanceOf(InvalidUrlError);
    await expect(connect(openHttpTransport('not a url'))).rejects.toThrow(/Invalid server URL/);
  });

  it('reports an unserialisable action as a ProtocolError without sending anything', async () => {
    const server = await canned();
    const transport = await open(server.url);
    const error = await errorOf(transport.step({ big: 1n }));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(server.requests).toHaveLength(0);
  });

  describe("the transport's own request (what a session's reset/step use)", () => {
    /** Collects what a request's `Reply` receives. */
    function sink() {
      const seen: Array<['value', WireStepResult] | ['error', unknown]> = [];
      return { seen, value: (v: WireStepResult) => void seen.push(['value', v]), error: (e: unknown) => void seen.push(['error', e]) };
    }
    const refuse = (): never => {
      throw new Error('the Observable method was called');
    };

    it('is registered: a reset and a step are sent without the Observable methods', async () => {
      const server = await canned();
      server.respondWith(OK_STEP);
      const transport = await open(server.url);
      const request = transportRequestOf(transport);
      // Were the request made of the Observable methods (the fallback), these would fail it.
      Object.assign(transport, { reset: refuse, step: refuse });
      const reset = sink();
      const step = sink();
      request('reset', { seed: 3 }, reset);
      await pollUntil(() => reset.seen.length === 1, 'reset.seen.length === 1');
      request('step', { a: 1 }, step);
      await pollUntil(() => step.seen.length === 1, 'step.seen.length === 1');
      expect([...reset.seen, ...step.seen]).toEqual([
        ['value', { observation: { n: 1 }, reward: 1, done: false }],
        ['value', { observation: { n: 1 }, reward: 1, done: false }],
      ]);
      expect(server.requests.map((r) => [r.path, JSON.parse(r.body) as unknown])).toEqual([
        ['/reset', { seed: 3 }],
        ['/step', { action: { a: 1 }, request_id: expect.any(String) }],
      ]);
    });

    it('abandoning it aborts the HTTP request, and the next request is sent at once', async () => {
      const server = await canned();
      server.respondWith(OK_STEP, 'hold');
      const transport = await open(server.url);
      const request = transportRequestOf(transport);
      const first = sink();
      const handle = request('step', { n: 1 }, first);
      await pollUntil(() => server.requests.length === 1, 'server.requests.length === 1');
      handle!.unsubscribe();
      await pollUntil(() => server.aborted === 1, 'server.aborted === 1');
      const second = sink();
      request('step', { n: 2 }, second);
      await pollUntil(() => server.requests.length === 2, 'server.requests.length === 2');
      server.release();
      await pollUntil(() => second.seen.length === 1, 'second.seen.length === 1');
      expect(first.seen).toEqual([]);
      expect(second.seen).toEqual([['value', { observation: { n: 1 }, reward: 1, done: false }]]);
    });

    it('shares the one-at-a-time queue with the Observable methods, and an abandoned waiting request is never sent', async () => {
      const server = await canned();
      server.respondWith(OK_STEP, 'hold');
      const transport = await open(server.url);
      const request = transportRequestOf(transport);
      const viaObservable = firstValueFrom(transport.step({ n: 1 }));
      const dropped = sink();
      const kept = sink();
      const handle = request('step', { n: 2 }, dropped);
      request('step', { n: 3 }, kept);
      await pollUntil(() => server.requests.length === 1, 'server.requests.length === 1');
      handle!.unsubscribe(); // still waiting: leaves the queue
      server.release();
      await viaObservable;
      await pollUntil(() => server.requests.length === 2, 'server.requests.length === 2');
      server.release();
      await pollUntil(() => kept.seen.length === 1, 'kept.seen.length === 1');
      expect(dropped.seen).toEqual([]);
      expect(server.maxHeld).toBe(1);
      expect(server.requests.map((r) => (JSON.parse(r.body) as { action: unknown }).action)).toEqual([{ n: 1 }, { n: 3 }]);
    });

    it("a session's step over it, unsubscribed, aborts the HTTP request; the session's next step is answered", async () => {
      const server = await canned();
      server.respondWith(OK_STEP, 'hold');
      const transport = await open(server.url);
      const session = createSession<Record<string, unknown>, unknown, unknown>(transport, { name: 'canned' });
      const seen: unknown[] = [];
      const subscription = session.step({ n: 1 }).subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
      await pollUntil(() => server.requests.length === 1, 'server.requests.length === 1');
      subscription.unsubscribe();
      await pollUntil(() => server.aborted === 1, 'server.aborted === 1');
      const next = firstValueFrom(session.step({ n: 2 }));
      await pollUntil(() => server.requests.length === 2, 'server.requests.length === 2');
      server.release();
      await expect(next).resolves.toMatchObject({ observation: { n: 1 }, reward: 1, done: false, truncated: false });
      expect(seen).toEqual([]);
    });

    it('fails with ConnectionClosedError after close(), sending nothing', async () => {
      const server = await canned();
      const transport = await open(server.url);
      transport.close();
      const seen = sink();
      transportRequestOf(transport)('reset', undefined, seen);
      expect(seen.seen).toEqual([['error', expect.any(ConnectionClosedError)]]);
      expect((seen.seen[0]![1] as ConnectionClosedError).context).toMatchObject({ transport: 'http', request: 'reset' });
      expect(server.requests).toHaveLength(0);
    });
  });
});
