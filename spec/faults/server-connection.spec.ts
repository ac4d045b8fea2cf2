import { concat, from, mergeMap, of, switchMap, take, throwError, type Observable } from 'rxjs';
import { CapacityError, ConnectionClosedError, ConnectionError, ServerExitedError, TimeoutError } from '../../src/errors/index.js';
import { retryConnect } from '../../src/operators/retry-connect.js';
import { isPidAlive } from '../../src/runtime/docker/reaper.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { repoPath } from '../fixtures/test-image.js';
import { Echo, say } from './support/echo-env.js';
import { errorWithin, expectReleased, installFaultGuards, outcomeWithin } from './support/fault-guards.js';
import { useFaultServer } from './support/fault-server.js';
import { sessionFailure } from './support/session-runs.js';

const WITHIN_MS = 5_000;

describe('faults: the connection or the server goes away', () => {
  installFaultGuards();
  const start = useFaultServer();


  afterEach(() => awaitRuntimeTeardowns());

  it('resets the TCP connection mid-step over ws: ConnectionClosedError (1006) with the step index', async () => {
    const live = await start({ onMessage: (m, c) => (m.type === 'step' && c.steps === 2 ? c.reset() : c.answer(m)) });
    const { requestError, sessionError } = await sessionFailure(
      Echo.connect(live.url),
      (env) => concat(env.reset(), env.step(say(1)), env.step(say(2))),
      WITHIN_MS,
    );
    expect(requestError).toBeInstanceOf(ConnectionClosedError);
    expect(requestError).toMatchObject({
      code: 'ERR_CONNECTION_CLOSED',
      closeCode: 1006,
      context: { env: 'echo', url: live.url, transport: 'ws', request: 'step', stepIndex: 2 },
    });
    expect(sessionError).toBe(requestError);
    await expectReleased(live);
  });

  it('resets the TCP connection mid-step over http: ConnectionError with ECONNRESET and the step index', async () => {
    // Every request of step 2 is reset: the one on the reused keep-alive socket, and the one
    // resend on a fresh socket that Node's stale keep-alive rule allows (see server-replies).
    let steps = 0;
    const live = await start({ onHttp: (r) => (r.path === '/schema' ? { status: 404, body: { detail: 'Not Found' } } : r.path === '/step' && ++steps >= 2 ? 'reset' : undefined) });
    const error = await errorWithin(Echo.connect(live.url).pipe(switchMap((env) => concat(env.reset(), env.step(say(1)), env.step(say(2))))), WITHIN_MS);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ERR_CONNECTION', systemCode: 'ECONNRESET', context: { transport: 'http', request: 'step', stepIndex: 2 } });
    const stepTwice = live.requests.filter((r) => r.path === '/step').slice(1);
    expect(stepTwice.map((r) => r.onConnection)).toEqual([3, 1]); // reused socket, then a fresh one; never a third time
    await expectReleased(live);
  });

  describe.each([
    [1000, ''],
    [1011, 'env crashed'],
  ])('the server closes with %i mid-episode', (closeCode, reason) => {
    it('fails the episode and the session with ConnectionClosedError carrying the code, reason and step', async () => {
      const live = await start({ onMessage: (m, c) => (m.type === 'step' && c.steps === 3 ? c.close(closeCode, reason) : c.answer(m)) });
      const { requestError, sessionError } = await sessionFailure(
        Echo.connect(live.url),
        (env) => env.episode((_, last) => say(last.index + 1), { maxSteps: 10, episodeId: 'ep-close' }),
        WITHIN_MS,
      );
      expect(requestError).toBeInstanceOf(ConnectionClosedError);
      expect(requestError).toMatchObject({
        code: 'ERR_CONNECTION_CLOSED',
        closeCode,
        reason,
        context: { env: 'echo', transport: 'ws', request: 'step', stepIndex: 3, episodeId: 'ep-close', episodeIndex: 0 },
      });
      // The session fails with the step's error as the session saw it (the episode adds episodeIndex to its copy).
      expect(sessionError).toBeInstanceOf(ConnectionClosedError);
      const { episodeIndex: _episodeOnly, ...sessionContext } = (requestError as ConnectionClosedError).context;
      expect((sessionError as ConnectionClosedError).context).toEqual(sessionContext);
      expect(sessionError).toMatchObject({ closeCode, reason });
      await expectReleased(live);
    });
  });

  describe('under a runtime that reports its server\'s exit (fromEndpoint with failure$)', () => {
    /** An endpoint whose `failure$` reports `exitError` once `exit()` is called. */
    function runtimeEndpoint(url: string): { endpoint$: Observable<Endpoint>; exit: () => void } {
      let exit!: () => void;
      const exited = new Promise<ServerExitedError>((resolve) => {
        exit = () => resolve(new ServerExitedError('process', 1, ['Traceback (most recent call last):', 'RuntimeError: boom'], { pid: 4242 }));
      });
      const failure$ = from(exited).pipe(mergeMap((error) => throwError(() => error)));
      return { endpoint$: of<Endpoint>({ url, kind: 'process', id: '4242', failure$ }), exit };
    }

    it('the server dies under a step in flight: the step reports ServerExitedError (exit code, log tail) with its step index', async () => {
      let exit = (): void => undefined;
      // The socket dies first; the runtime notices the exit 150 ms later, as Docker does.
      const live = await start({ onMessage: (m, c) => (m.type === 'step' && c.steps === 2 ? (c.reset(), setTimeout(() => exit(), 150)) : c.answer(m)) });
      const runtime = runtimeEndpoint(live.url);
      exit = runtime.exit;
      const { requestError, sessionError } = await sessionFailure(
        Echo.fromEndpoint(runtime.endpoint$),
        (env) => concat(env.reset(), env.step(say(1)), env.step(say(2))),
        WITHIN_MS,
      );
      expect(requestError).toBeInstanceOf(ServerExitedError);
      expect(requestError).toMatchObject({
        code: 'ERR_PROCESS_EXITED',
        exitCode: 1,
        logTail: ['Traceback (most recent call last):', 'RuntimeError: boom'],
        context: { env: 'echo', url: live.url, pid: 4242, transport: 'ws', request: 'step', stepIndex: 2 },
      });
      expect(sessionError).toBe(requestError);
      await expectReleased(live);
    });

    it('a real process server exits mid-episode (fromProcess): ServerExitedError with exit code and output tail, the process is gone', async () => {
      let stopped: { pid?: number } | undefined;
      const { sessionError } = await sessionFailure(
        Echo.fromProcess(process.execPath, [repoPath('spec/fixtures/echo-server.mjs'), '--port', '{port}'], {
          transport: 'ws',
          env: { ECHO_EXIT_AFTER_STEPS: '2', ECHO_EXIT_CODE: '4' },
          startTimeoutMs: 10_000,
          onStopped: (info) => (stopped = info),
        }),
        (env) => env.episode((_, last) => new Promise((resolve) => setTimeout(() => resolve(say(last.index + 1)), 50)), { maxSteps: 50, episodeId: 'ep-proc' }),
        WITHIN_MS,
      );
      expect(sessionError).toBeInstanceOf(ServerExitedError);
      const exited = sessionError as ServerExitedError;
      expect(exited).toMatchObject({ code: 'ERR_PROCESS_EXITED', kind: 'process', exitCode: 4 });
      expect(exited.context).toMatchObject({ env: 'echo', command: process.execPath, pid: expect.any(Number), episodeId: 'ep-proc' });
      expect(exited.logTail.at(-1)).toBe('exiting after 2 steps');
      await awaitRuntimeTeardowns();
      expect(stopped?.pid).toBe(exited.context.pid);
      expect(isPidAlive(exited.context.pid as number)).toBe(false);
    });

    it('the server lives on but closes the socket: ConnectionClosedError once the exit grace period passed', async () => {
      const live = await start({ onMessage: (m, c) => (m.type === 'step' ? c.close(1011, 'internal error') : c.answer(m)) });
      const { requestError, sessionError } = await sessionFailure(
        Echo.fromEndpoint(runtimeEndpoint(live.url).endpoint$),
        (env) => concat(env.reset(), env.step(say(1))),
        WITHIN_MS,
      );
      expect(requestError).toBeInstanceOf(ConnectionClosedError);
      expect(requestError).toMatchObject({ closeCode: 1011, reason: 'internal error', context: { request: 'step', stepIndex: 1 } });
      expect(sessionError).toBe(requestError);
      await expectReleased(live);
    });
  });

  it('answers CAPACITY_REACHED right after the handshake: the first request and the session fail with CapacityError', async () => {
    const live = await start({
      onConnection: (c) => {
        c.send({ type: 'error', data: { message: 'Server at capacity: 1/1 sessions active.', code: 'CAPACITY_REACHED', active_sessions: 1, max_sessions: 1 } });
        c.close(1000);
      },
    });
    const { requestError, sessionError } = await sessionFailure(Echo.connect(live.url), (env) => env.reset({ seed: 3 }), WITHIN_MS);
    const error = sessionError as CapacityError;
    expect(error).toBeInstanceOf(CapacityError);
    expect(error).toMatchObject({ code: 'ERR_CAPACITY', serverCode: 'CAPACITY_REACHED', activeSessions: 1, maxSessions: 1 });
    expect(error.context).toMatchObject({ env: 'echo', url: live.url, transport: 'ws' });
    // Whether the reset was already on the wire when the frame arrived decides which one reports it first.
    if (requestError !== undefined) expect(requestError).toBe(sessionError);
    await expectReleased(live);
  });

  it('CAPACITY_REACHED on connect with retryConnect({ retryOnCapacity }): reconnects once a slot frees', async () => {
    // The slot frees after two refusals: counted, not timed.
    const live = await start({
      onConnection: (c) => {
        if (c.index >= 2) return;
        c.send({ type: 'error', data: { message: 'Server at capacity: 1/1 sessions active.', code: 'CAPACITY_REACHED', active_sessions: 1, max_sessions: 1 } });
        c.close(1000);
      },
    });
    const outcome = await outcomeWithin(
      // Over /ws the refusal reaches the first request, inside switchMap: retry the whole unit
      // (retryConnect still only retries what failed before any result was emitted).
      Echo.connect(live.url).pipe(
        switchMap((env) => concat(env.reset(), env.step(say(1)))),
        retryConnect({ retryOnCapacity: true, maxRetries: 5, backoff: () => 20 }),
        take(2),
      ),
      WITHIN_MS,
    );
    expect(outcome).toMatchObject({ kind: 'complete', values: [{}, { observation: { echoed_message: 'm1' } }] });
    expect(live.connections).toHaveLength(3);
    // Refused sessions sent nothing that ran; only the accepted one stepped.
    expect(live.connections.filter((c) => c.steps > 0).map((c) => c.index)).toEqual([2]);
    await expectReleased(live);
  });

  it('health never turns healthy: TimeoutError (phase start) within startTimeoutMs, the process is killed', async () => {
    let stopped: { pid?: number } | undefined;
    const started = performance.now();
    const error = await errorWithin(
      Echo.fromProcess(process.execPath, [repoPath('spec/fixtures/echo-server.mjs'), '--port', '{port}'], {
        env: { ECHO_HEALTH_DELAY_MS: '600000' },
        // Long enough for node to start listening on a loaded machine, so the last probe is the 503.
        startTimeoutMs: 5_000,
        stopGraceMs: 1_000,
        onStopped: (info) => (stopped = info),
      }),
      10_000,
    );
    expect(performance.now() - started).toBeLessThan(5_000 + 4_000); // the timeout, the 1 s stop grace, slack
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', phase: 'start', timeoutMs: 5_000, context: { env: 'echo', request: 'health', command: process.execPath } });
    expect((error as Error).message).toMatch(/not healthy after 5000 ms \(last probe: HTTP 503 unhealthy\)/);
    const pid = (error as TimeoutError).context.pid as number;
    expect(stopped?.pid).toBe(pid);
    expect(isPidAlive(pid)).toBe(false);
  });
});
