import type { AddressInfo } from 'node:net';
import { firstValueFrom, lastValueFrom, Subscription, switchMap, type Observable } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { processEndpoint } from '../../src/runtime/process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { defineEnv } from '../../src/session/define-env.js';
import type { TransportOptions } from '../../src/transport/transport.js';
import { repoPath } from '../fixtures/test-image.js';
import { retryConnect } from '../../src/operators/retry-connect.js';
import { pollUntil } from '../support/poll.js';

const Echo = defineEnv({
  name: 'echo',
  action: z.object({ message: z.string().min(1) }),
  observation: z.object({ echoed_message: z.string(), message_length: z.number() }),
});
const OBSERVATION = JSON.stringify({ type: 'observation', data: { observation: { echoed_message: 'hi', message_length: 2 }, reward: 0, done: false } });
/** Short keepalive times: the peers here never answer, or answer every ping, so no margin is raced. */
const FAST: TransportOptions = { transport: 'ws', keepalive: { intervalMs: 40, timeoutMs: 80 } };

/** A bare `/ws` peer that answers every reset/step, except the steps it holds, and counts pings per socket. */
async function startPeer(options: { autoPong: boolean; hold?: (frame: { type: string; data?: { message?: string } }) => boolean }) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws', autoPong: options.autoPong });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const sockets: Array<{ socket: WebSocket; pings: number; closed: Promise<void> }> = [];
  const pingWaiters: Array<{ index: number; count: number; resolve: () => void }> = [];
  server.on('connection', (socket) => {
    const entry = { socket, pings: 0, closed: new Promise<void>((resolve) => socket.once('close', () => resolve())) };
    const index = sockets.push(entry) - 1;
    socket.on('ping', () => {
      entry.pings++;
      for (const waiter of pingWaiters.filter((w) => w.index === index && entry.pings >= w.count)) waiter.resolve();
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; data?: { message?: string } };
      if (frame.type !== 'close' && !options.hold?.(frame)) socket.send(OBSERVATION);
    });
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    /** Resolves once socket `index` has received `count` pings (a gate, not a timer). */
    pings: (index: number, count: number) =>
      new Promise<void>((resolve) => {
        if ((sockets[index]?.pings ?? 0) >= count) return resolve();
        pingWaiters.push({ index, count, resolve });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const { socket } of sockets) socket.terminate();
        server.close(() => resolve());
      }),
  };
}
type Peer = Awaited<ReturnType<typeof startPeer>>;

/** The error a session pipeline fails with (it must fail: a test timeout otherwise). */
function failureOf(source: Observable<unknown>): Promise<unknown> {
  return lastValueFrom(source).then(
    (value) => Promise.reject(new Error(`expected an error, got ${JSON.stringify(value)}`)),
    (error: unknown) => error,
  );
}

describe('WS keepalive', () => {
  let peer: Peer | undefined;
  let subscriptions = new Subscription();
  afterEach(async () => {
    subscriptions.unsubscribe();
    subscriptions = new Subscription();
    await peer?.close();
    peer = undefined;
  });

  it('a peer that stops answering pings: the session fails with TimeoutError phase keepalive and the socket is closed', async () => {
    peer = await startPeer({ autoPong: false });
    const url = peer.url;
    const error = await failureOf(Echo.connect(url, FAST).pipe(switchMap((env) => env.reset())));
    // Not the reset: it was answered. The session failed afterwards, with nothing in flight.
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ERR_TIMEOUT', phase: 'keepalive', timeoutMs: 80, context: expect.objectContaining({ url, env: 'echo' }) });
    expect((error as Error).message).toContain('half-open');
    // The server saw the client close the socket (its slot is free) and got the unanswered ping.
    await peer.sockets[0]!.closed;
    expect(peer.sockets[0]!.pings).toBeGreaterThanOrEqual(1);
  });

  it('a step in flight when the peer goes silent fails with the keepalive error long before the reply timeout', async () => {
    peer = await startPeer({ autoPong: false, hold: (frame) => frame.type === 'step' });
    const started = Date.now();
    const error = await failureOf(
      Echo.connect(peer.url, { ...FAST, replyTimeoutMs: 60_000 }).pipe(switchMap((env) => env.step({ message: 'never answered' }))),
    );
    expect(error).toMatchObject({ phase: 'keepalive', context: expect.objectContaining({ request: 'step', stepIndex: 1 }) });
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('pongs keep a quiet session alive across many intervals; keepalive: false sends no ping at all', async () => {
    peer = await startPeer({ autoPong: true });
    const failures: unknown[] = [];
    const hold = (options: TransportOptions) => {
      let env: { step(a: { message: string }): Observable<unknown> } | undefined;
      subscriptions.add(Echo.connect(peer!.url, options).subscribe({ next: (e) => (env = e), error: (e: unknown) => failures.push(e) }));
      return () => env!;
    };
    const silent = hold({ transport: 'ws', keepalive: false });
    await pollUntil(() => peer!.sockets.length === 1, 'peer!.sockets.length === 1', { timeoutMs: 5_000, intervalMs: 5 });
    const pinging = hold(FAST);
    await pollUntil(() => peer!.sockets.length === 2, 'peer!.sockets.length === 2', { timeoutMs: 5_000, intervalMs: 5 });
    // Five pings answered: five intervals of silence on both sockets.
    await peer.pings(1, 5);
    expect(peer.sockets[0]!.pings).toBe(0);
    expect(failures).toEqual([]);
    await expect(firstValueFrom(pinging().step({ message: 'still here' }))).resolves.toMatchObject({ observation: { echoed_message: 'hi' } });
    await expect(firstValueFrom(silent().step({ message: 'still here' }))).resolves.toMatchObject({ observation: { echoed_message: 'hi' } });
  });

  it('rejects bad keepalive options with an InvalidOptionError naming the field', async () => {
    const invalid = (option: string) => expect.objectContaining({ name: 'InvalidOptionError', option });
    await expect(firstValueFrom(Echo.connect('http://127.0.0.1:9', { transport: 'ws', keepalive: { intervalMs: 0 } }))).rejects.toEqual(invalid('keepalive.intervalMs'));
    await expect(firstValueFrom(Echo.connect('http://127.0.0.1:9', { transport: 'ws', keepalive: { timeoutMs: Number.NaN } }))).rejects.toEqual(invalid('keepalive.timeoutMs'));
    await expect(firstValueFrom(Echo.connect('http://127.0.0.1:9', { transport: 'ws', keepalive: 'on' as never }))).rejects.toEqual(invalid('keepalive'));
  });
});

describe('WS keepalive against a server process stopped with SIGSTOP', () => {
  afterEach(() => awaitRuntimeTeardowns());

  it('fails the session while the server is frozen; once it runs again its only slot is free for a new session', async () => {
    const endpoint = await new Promise<{ endpoint: Endpoint; stop: () => void }>((resolve, reject) => {
      const subscription = processEndpoint(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', 'spec/fleet/support/hold-server.ts'], {
        cwd: repoPath(),
        env: { MAX_CONCURRENT_ENVS: '1' },
        startTimeoutMs: 30_000,
        stopGraceMs: 1_000,
      }).subscribe({ next: (e) => resolve({ endpoint: e, stop: () => subscription.unsubscribe() }), error: reject });
    });
    const pid = Number(endpoint.endpoint.id);
    try {
      const error = await failureOf(
        Echo.connect(endpoint.endpoint.url, { transport: 'ws', keepalive: { intervalMs: 100, timeoutMs: 300 } }).pipe(
          switchMap((env) =>
            env.reset().pipe(
              switchMap(() => {
                process.kill(pid, 'SIGSTOP');
                return env.step({ message: 'sent to a frozen server' });
              }),
            ),
          ),
        ),
      );
      expect(error).toMatchObject({ code: 'ERR_TIMEOUT', phase: 'keepalive', context: expect.objectContaining({ request: 'step' }) });
      process.kill(pid, 'SIGCONT');
      // With the slot still held, every attempt would be refused (CAPACITY_REACHED: max 1 session);
      // a few are allowed while the resumed server reads the close it slept through.
      const fresh = await firstValueFrom(
        Echo.connect(endpoint.endpoint.url, { transport: 'ws' }).pipe(
          switchMap((env) => env.reset()),
          retryConnect({ retryOnCapacity: true, maxRetries: 20, backoff: () => 100 }),
        ),
      );
      expect(fresh.observation.echoed_message).toBe('Echo environment ready!');
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
      endpoint.stop();
    }
  });
});

