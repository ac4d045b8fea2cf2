import { lastValueFrom, Subscription } from 'rxjs';
import { ConnectionClosedError, TimeoutError } from '../../src/errors/index.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { processEndpoint } from '../../src/runtime/process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import type { Transport, TransportOptions } from '../../src/transport/transport.js';
import { openWsTransport } from '../../src/transport/ws-transport.js';
import { repoPath } from '../fixtures/test-image.js';
import { connect, errorOf } from './support.js';

/**
 * A frozen server (a real process, SIGSTOP) makes the WS connection discard its socket on a
 * timeout. The request in flight gets the `TimeoutError`; a request queued behind it and every
 * later call get `ConnectionClosedError` ("discarded after a ... timeout"), whose `cause` is that
 * timeout: a caller (or a fault report) that meets only the later error still sees that the server
 * stopped answering, with the timeout's phase and context.
 */
describe('WS: calls on a socket discarded after a timeout carry the timeout as cause (a SIGSTOPped server)', () => {
  let endpoint: Endpoint;
  const running = new Subscription();
  beforeAll(async () => {
    endpoint = await new Promise<Endpoint>((resolve, reject) => {
      running.add(
        processEndpoint(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', 'spec/fleet/support/hold-server.ts'], {
          cwd: repoPath(),
          // Room for the next test's session while the server, thawed, has yet to see the last one's socket close.
          env: { MAX_CONCURRENT_ENVS: '4' },
          startTimeoutMs: 30_000,
          stopGraceMs: 1_000,
        }).subscribe({ next: resolve, error: reject }),
      );
    });
  }, 40_000);
  afterAll(async () => {
    running.unsubscribe();
    await awaitRuntimeTeardowns();
  });

  /** Opens a transport, answers a reset, then freezes the server; thawed (and the transport closed) afterwards. */
  async function frozenAfterReset(options: TransportOptions, body: (transport: Transport) => Promise<void>): Promise<void> {
    const pid = Number(endpoint.id);
    const { transport, subscription } = await connect(openWsTransport(endpoint.url, options));
    try {
      await lastValueFrom(transport.reset({}));
      process.kill(pid, 'SIGSTOP');
      await body(transport);
    } finally {
      process.kill(pid, 'SIGCONT');
      subscription.unsubscribe();
    }
  }

  it('reply timeout: the queued and the later call get ConnectionClosedError caused by the TimeoutError (phase reply)', async () => {
    await frozenAfterReset({ replyTimeoutMs: 300, keepalive: false }, async (transport) => {
      const inFlight = errorOf(transport.step({ message: 'to a frozen server' }));
      const queued = errorOf(transport.step({ message: 'queued behind it' }));
      const timeout = await inFlight;
      expect(timeout).toBeInstanceOf(TimeoutError);
      expect(timeout).toMatchObject({ code: 'ERR_TIMEOUT', phase: 'reply', context: { request: 'step' } });
      const behind = await queued;
      expect(behind).toBeInstanceOf(ConnectionClosedError);
      expect(behind).toMatchObject({ message: expect.stringMatching(/discarded after a reply timeout/), cause: timeout });
      const later = await errorOf(transport.state());
      expect(later).toBeInstanceOf(ConnectionClosedError);
      expect(later).toMatchObject({ context: { request: 'state' }, cause: timeout });
    });
  }, 30_000);

  it('keepalive timeout while idle: the next step gets ConnectionClosedError caused by the TimeoutError (phase keepalive)', async () => {
    await frozenAfterReset({ replyTimeoutMs: 30_000, keepalive: { intervalMs: 50, timeoutMs: 100 } }, async (transport) => {
      // Idle on a frozen server: the keepalive gives it up (failure$ reports it) before any new call.
      const failure = await errorOf(transport.failure$);
      expect(failure).toMatchObject({ code: 'ERR_TIMEOUT', phase: 'keepalive' });
      const next = await errorOf(transport.step({ message: 'after the keepalive gave up' }));
      expect(next).toBeInstanceOf(ConnectionClosedError);
      expect(next).toMatchObject({ message: expect.stringMatching(/discarded after a keepalive timeout/), context: { request: 'step' }, cause: failure });
    });
  }, 30_000);
});
