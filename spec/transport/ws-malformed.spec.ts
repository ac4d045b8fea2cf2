import { firstValueFrom } from 'rxjs';
import type { WebSocket } from 'ws';
import { CapacityError, ConnectionClosedError, ProtocolError, ServerError } from '../../src/errors/index.js';
import type { Transport, TransportOptions } from '../../src/transport/transport.js';
import { openWsTransport } from '../../src/transport/ws-transport.js';
import { connect, errorOf, startScriptedWsServer, type ScriptedWsServer } from './support.js';
import { pollUntil } from '../support/poll.js';

const OBSERVATION = { type: 'observation', data: { observation: { ok: 1 }, reward: 0.5, done: false } };

/** A peer that breaks the protocol in one scripted way; the socket must be discarded with a typed error. */
describe('openWsTransport against a misbehaving server', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(
    script: { onConnection?: (ws: WebSocket) => void; onMessage?: (ws: WebSocket, text: string) => void },
    options?: TransportOptions,
  ): Promise<{ server: ScriptedWsServer; transport: Transport; failures: unknown[] }> {
    const server = await startScriptedWsServer(script);
    cleanups.push(() => server.close());
    const opened = await connect(openWsTransport(server.url, options));
    cleanups.push(() => opened.subscription.unsubscribe());
    const failures: unknown[] = [];
    opened.subscription.add(opened.transport.failure$.subscribe({ error: (e: unknown) => failures.push(e) }));
    return { server, transport: opened.transport, failures };
  }

  /** The socket is gone on the server side and every later call fails at once. */
  async function expectDiscarded(server: ScriptedWsServer, transport: Transport): Promise<void> {
    await pollUntil(() => server.sockets.size === 0, 'server.sockets.size === 0');
    const before = server.received.length;
    expect(await errorOf(transport.state())).toBeInstanceOf(ConnectionClosedError);
    expect(server.received).toHaveLength(before);
  }

  it('a reply that is not JSON → ProtocolError with the raw text', async () => {
    const { server, transport, failures } = await setup({ onMessage: (ws) => ws.send('<<garbage>>') });
    const error = (await errorOf(transport.step({ a: 1 }))) as ProtocolError;
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'ERR_PROTOCOL', raw: '<<garbage>>', context: { transport: 'ws', request: 'step', url: server.url } });
    expect(failures).toEqual([error]);
    await expectDiscarded(server, transport);
  });

  it('a binary frame → ProtocolError', async () => {
    const { server, transport, failures } = await setup({ onMessage: (ws) => ws.send(Buffer.from([1, 2, 3]), { binary: true }) });
    const error = await errorOf(transport.reset());
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(/binary/);
    expect(failures).toEqual([error]);
    await expectDiscarded(server, transport);
  });

  it('an envelope of the wrong shape → ProtocolError naming the field', async () => {
    const bad = { type: 'observation', data: { observation: 'not an object', done: false } };
    const { server, transport } = await setup({ onMessage: (ws) => ws.send(JSON.stringify(bad)) });
    const error = (await errorOf(transport.step({ a: 1 }))) as ProtocolError;
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toContain('data.observation');
    await expectDiscarded(server, transport);
  });

  it('an unknown frame type → ProtocolError', async () => {
    const { server, transport } = await setup({ onMessage: (ws) => ws.send('{"type":"surprise","data":{}}') });
    expect(await errorOf(transport.state())).toBeInstanceOf(ProtocolError);
    await expectDiscarded(server, transport);
  });

  it('a state frame answering a step → ProtocolError (the socket is out of sync)', async () => {
    const { server, transport } = await setup({ onMessage: (ws) => ws.send('{"type":"state","data":{"step_count":1}}') });
    const error = (await errorOf(transport.step({ a: 1 }))) as ProtocolError;
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/Expected an observation frame for step, got state/);
    await expectDiscarded(server, transport);
  });

  /** The server sends `frame` now, to an idle transport (nothing was asked). */
  const sendUnsolicited = (server: ScriptedWsServer, frame: unknown) => {
    for (const ws of server.sockets) ws.send(JSON.stringify(frame));
  };

  it('an unsolicited frame while idle → ProtocolError on failure$', async () => {
    const { server, transport, failures } = await setup({});
    sendUnsolicited(server, OBSERVATION);
    await pollUntil(() => failures.length === 1, 'failures.length === 1');
    expect(failures[0]).toBeInstanceOf(ProtocolError);
    expect((failures[0] as ProtocolError).message).toMatch(/Unsolicited observation frame/);
    await expectDiscarded(server, transport);
  });

  it('an unsolicited non-fatal error frame while idle → ProtocolError', async () => {
    const frame = { type: 'error', data: { message: 'Invalid JSON', code: 'INVALID_JSON' } };
    const { server, transport, failures } = await setup({});
    sendUnsolicited(server, frame);
    await pollUntil(() => failures.length === 1, 'failures.length === 1');
    expect(failures[0]).toBeInstanceOf(ProtocolError);
    await expectDiscarded(server, transport);
  });

  it('an unsolicited fatal error frame (SESSION_ERROR) → ServerError on failure$, not a protocol error', async () => {
    const frame = { type: 'error', data: { message: 'session lost', code: 'SESSION_ERROR' } };
    const { server, transport, failures } = await setup({});
    sendUnsolicited(server, frame);
    await pollUntil(() => failures.length === 1, 'failures.length === 1');
    expect(failures[0]).toBeInstanceOf(ServerError);
    expect(failures[0]).not.toBeInstanceOf(ProtocolError);
    expect(failures[0]).toMatchObject({ serverCode: 'SESSION_ERROR', serverMessage: 'session lost' });
    const later = (await errorOf(transport.reset())) as ServerError;
    expect(later).toMatchObject({ serverCode: 'SESSION_ERROR', context: { request: 'reset' } });
    await pollUntil(() => server.sockets.size === 0, 'server.sockets.size === 0');
  });

  it('a fatal FACTORY_ERROR reply fails the request, failure$ and the socket', async () => {
    const frame = { type: 'error', data: { message: 'cannot build env', code: 'FACTORY_ERROR' } };
    const { server, transport, failures } = await setup({ onMessage: (ws) => ws.send(JSON.stringify(frame)) });
    const error = (await errorOf(transport.reset({ seed: 1 }))) as ServerError;
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: 'ERR_SERVER', serverCode: 'FACTORY_ERROR', context: { request: 'reset' } });
    expect(failures).toEqual([error]);
    await pollUntil(() => server.sockets.size === 0, 'server.sockets.size === 0');
    expect(await errorOf(transport.state())).toMatchObject({ serverCode: 'FACTORY_ERROR' });
  });

  it('a CAPACITY_REACHED reply is a CapacityError', async () => {
    const frame = { type: 'error', data: { message: 'Server at capacity: 8/8', code: 'CAPACITY_REACHED', active_sessions: 8, max_sessions: 8 } };
    const { transport, failures } = await setup({ onMessage: (ws) => ws.send(JSON.stringify(frame)) });
    const error = (await errorOf(transport.reset())) as CapacityError;
    expect(error).toBeInstanceOf(CapacityError);
    expect(error).toMatchObject({ activeSessions: 8, maxSessions: 8 });
    expect(failures).toEqual([error]);
  });

  it('EXECUTION_ERROR fails only its request; the socket stays usable', async () => {
    let count = 0;
    const frame = { type: 'error', data: { message: 'env raised ValueError', code: 'EXECUTION_ERROR' } };
    const { transport, failures } = await setup({ onMessage: (ws) => ws.send(JSON.stringify(++count === 1 ? frame : OBSERVATION)) });
    expect(await errorOf(transport.step({ a: 1 }))).toMatchObject({ serverCode: 'EXECUTION_ERROR', serverMessage: 'env raised ValueError' });
    await expect(firstValueFrom(transport.step({ a: 2 }))).resolves.toEqual({ observation: { ok: 1 }, reward: 0.5, done: false });
    expect(failures).toEqual([]);
  });

  it('a message over maxMessageBytes → ProtocolError naming the limit (ws closes with 1009)', async () => {
    const big = JSON.stringify({ type: 'observation', data: { observation: { pad: 'x'.repeat(4096) }, reward: 0, done: false } });
    const { server, transport, failures } = await setup({ onMessage: (ws) => ws.send(big) }, { maxMessageBytes: 1024 });
    const error = (await errorOf(transport.step({ a: 1 }))) as ProtocolError;
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/maxMessageBytes \(1024 bytes\)/);
    expect(failures).toEqual([error]);
    await expectDiscarded(server, transport);
  });

  it('frames after a deliberate close are ignored', async () => {
    const { server, transport, failures } = await setup({
      onMessage: (ws, text) => {
        if (text === '{"type":"close"}') ws.send('<<late garbage>>');
      },
    });
    transport.close();
    // The garbage precedes the server's close frame, which the client answers before the TCP
    // connection ends: once the server sees the socket closed, the client has read the garbage.
    await pollUntil(() => server.sockets.size === 0, 'server.sockets.size === 0');
    expect(server.received).toEqual(['{"type":"close"}']);
    expect(failures).toEqual([]);
  });
});
