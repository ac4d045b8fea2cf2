import { request as httpRequest } from 'node:http';
import { inspect } from 'node:util';
import { concat, firstValueFrom, map, switchMap, take, timeout } from 'rxjs';
import { WebSocket } from 'ws';
import { ConnectionClosedError, ConnectionError, HttpStatusError, ServerError, TimeoutError } from '../../src/errors/index.js';
import { EchoEnvironment, echoEnv, type EchoAction, type EchoObservation } from '../../src/envs/echo.js';
import { inProcessEndpoint } from '../../src/server/in-process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import type { AnyEnvDefinition, Environment } from '../../src/environment/environment.js';
import { serveOptionsFromEnv } from '../../src/server/serve-builtin.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { containersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { Echo, say } from './support/echo-env.js';
import { errorWithin, installFaultGuards, outcomeWithin } from './support/fault-guards.js';
import { startFaultServer, type FaultServer } from './support/fault-server.js';
import { listeningAddresses } from './support/listening-addresses.js';
import { pollUntil } from '../support/poll.js';
import { dockerSuite } from '../support/engine-suite.js';

const WITHIN_MS = 10_000;
const TOKEN = 'tok-5f0c3a9e-do-not-leak';
const BEARER = { authorization: `Bearer ${TOKEN}` };

/** Everything an error carries, printed as deeply as any logger could (causes, context, bodies). */
const everything = (value: unknown): string => `${inspect(value, { depth: Infinity, showHidden: true })}\n${String(value)}`;

/** Echo, except that the message `boom` makes the env throw (so the server reports an env failure). */
const explodingEcho: AnyEnvDefinition = {
  ...echoEnv,
  create: (): Environment<EchoAction, EchoObservation> => {
    const env = new EchoEnvironment();
    return {
      reset: (options) => env.reset(options),
      step: (action) => {
        if (action.message === 'boom') throw new Error('env exploded');
        return env.step(action);
      },
      state: () => env.state(),
    };
  },
} as AnyEnvDefinition;

describe('faults: security', () => {
  installFaultGuards();
  let ours: RunningServer | undefined;
  let fault: FaultServer | undefined;

  afterEach(async () => {
    await ours?.close();
    await fault?.close();
    ours = undefined;
    fault = undefined;
    await awaitRuntimeTeardowns();
  });

  it('the server binds 127.0.0.1 unless told otherwise (the kernel agrees)', async () => {
    ours = await serve(echoEnv);
    expect(ours.url).toBe(`http://127.0.0.1:${ours.port}`);
    expect(listeningAddresses(ours.port)).toEqual(['127.0.0.1']);
    // The CLI/container entry point: loopback unless HOST says otherwise.
    expect(serveOptionsFromEnv({}).host).toBe('127.0.0.1');
    expect(serveOptionsFromEnv({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    // The in-process runtime always uses loopback.
    const held = await new Promise<{ url: string; stop: () => void }>((resolve, reject) => {
      const subscription = inProcessEndpoint(echoEnv).subscribe({ next: (e) => resolve({ url: e.url, stop: () => subscription.unsubscribe() }), error: reject });
    });
    const port = Number(new URL(held.url).port);
    try {
      expect(listeningAddresses(port)).toEqual(['127.0.0.1']);
    } finally {
      held.stop();
    }
    await awaitRuntimeTeardowns();
    expect(listeningAddresses(port)).toEqual([]);
  });

  it('with a token, requests and WS upgrades without it are refused (401); it never appears in errors or server reports', async () => {
    const reports: unknown[] = [];
    ours = await serve(explodingEcho, { token: TOKEN, onError: (error, info) => reports.push({ error, info }) });
    const url = ours.url;

    // Raw HTTP and WS without the token (and with a wrong one).
    for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
      const status = await new Promise<number>((resolve, reject) => {
        httpRequest(`${url}/state`, { headers }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject).end();
      });
      expect(status).toBe(401);
      const upgrade = await new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, { headers });
        socket.on('unexpected-response', (_req, res) => (res.resume(), socket.terminate(), resolve(res.statusCode ?? 0)));
        socket.on('open', () => (socket.terminate(), reject(new Error('upgrade accepted without the token'))));
        socket.on('error', () => undefined);
      });
      expect(upgrade).toBe(401);
    }

    // Through the library: every transport choice fails with a typed 401, never a silent downgrade.
    const clientErrors: unknown[] = [];
    for (const transport of ['auto', 'ws', 'http'] as const) {
      const error = await errorWithin(Echo.connect(url, { transport }).pipe(switchMap((env) => env.reset())), WITHIN_MS);
      expect(error).toBeInstanceOf(HttpStatusError);
      expect(error).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 401, body: { detail: 'Not authenticated' }, context: { url, env: 'echo' } });
      clientErrors.push(error);
    }
    const wrong = await errorWithin(Echo.connect(url, { transport: 'ws', headers: { authorization: 'Bearer wrong-guess' } }).pipe(switchMap((env) => env.reset())), WITHIN_MS);
    expect(wrong).toMatchObject({ status: 401, context: { request: 'connect', transport: 'ws' } });
    expect(everything(wrong)).not.toContain('wrong-guess');

    // With the token it works; an env failure reaches onError and the client without the token.
    let stepError: unknown;
    const outcome = await outcomeWithin(
      Echo.connect(url, { headers: BEARER }).pipe(
        switchMap((env) => concat(env.reset(), env.step({ message: 'boom' }).pipe(map(() => 'unexpected'))).pipe(take(2))),
      ),
      WITHIN_MS,
    ).then((o) => (o.kind === 'error' ? ((stepError = o.error), o) : o));
    expect(outcome.kind).toBe('error');
    expect(stepError).toBeInstanceOf(ServerError);
    expect(stepError).toMatchObject({ serverCode: 'EXECUTION_ERROR', serverMessage: 'env exploded', context: { stepIndex: 1 } });
    clientErrors.push(stepError);
    await pollUntil(() => reports.length === 1, 'the server to report the env failure');
    expect(reports[0]).toMatchObject({ info: { operation: 'step', transport: 'ws' } });

    for (const seen of [...clientErrors, ...reports]) expect(everything(seen)).not.toContain(TOKEN);
    const live = ours;
    await pollUntil(() => live.activeSessions() === 0, 'every session to end');
  });

  it('the token never appears in connection, timeout or handshake errors either (causes included)', async () => {
    fault = await startFaultServer({ onHttp: (r) => (r.path === '/reset' ? 'reset' : r.path === '/step' ? 'hang' : undefined) });
    const http = Echo.connect(fault.url, { transport: 'http', headers: BEARER, replyTimeoutMs: 2_000 });
    const reset = await errorWithin(http.pipe(switchMap((env) => env.reset())), WITHIN_MS);
    expect(reset).toBeInstanceOf(ConnectionError);
    expect(reset).toMatchObject({ code: 'ERR_CONNECTION', systemCode: 'ECONNRESET' });
    const hang = await errorWithin(http.pipe(switchMap((env) => env.step(say(1)))), WITHIN_MS);
    expect(hang).toBeInstanceOf(TimeoutError);
    const closedPort = Number(new URL(fault.url).port);
    await fault.close();
    const refused = await errorWithin(Echo.connect(fault.url, { transport: 'ws', headers: BEARER }), WITHIN_MS);
    expect(refused).toMatchObject({ code: 'ERR_CONNECTION', systemCode: 'ECONNREFUSED' });
    expect(listeningAddresses(closedPort)).toEqual([]);
    // The requests did carry it: this is not a vacuous check.
    expect(fault.requests.some((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    for (const error of [reset, hang, refused]) expect(everything(error)).not.toContain(TOKEN);
  });

  it('oversized bodies are refused: 413 over HTTP, close 1009 over WS; the server stays usable', async () => {
    ours = await serve(echoEnv, { maxBodyBytes: 1_024, maxMessageBytes: 1_024, maxSessions: 2 });
    const big = { message: 'x'.repeat(4_096) };
    const overHttp = await errorWithin(Echo.connect(ours.url, { transport: 'http' }).pipe(switchMap((env) => env.step(big))), WITHIN_MS);
    expect(overHttp).toBeInstanceOf(HttpStatusError);
    expect(overHttp).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 413, detail: 'Request body too large', context: { request: 'step', transport: 'http' } });

    const overWs = await errorWithin(Echo.connect(ours.url).pipe(switchMap((env) => concat(env.reset(), env.step(big)))), WITHIN_MS);
    expect(overWs).toBeInstanceOf(ConnectionClosedError);
    expect(overWs).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', closeCode: 1009, context: { request: 'step', stepIndex: 1, transport: 'ws' } });

    const fine = await outcomeWithin(Echo.connect(ours.url).pipe(switchMap((env) => concat(env.reset(), env.step(say(1)))), take(2)), WITHIN_MS);
    expect(fine).toMatchObject({ kind: 'complete', values: [{}, { observation: { echoed_message: 'm1' } }] });
    const live = ours;
    await pollUntil(() => live.activeSessions() === 0, 'every session to end');
  });
});

const engine = await dockerSuite();
const { docker } = engine;

engine.describe('faults: security of containers', () => {
  installFaultGuards();
  let image: string;

  beforeAll(async () => {
    image = await ensureTestImage();
  }, 120_000);

  it('containers publish their port on 127.0.0.1 only', async () => {
    const info = await firstValueFrom(
      Echo.fromDockerImage(image, { transport: 'ws', startTimeoutMs: 15_000 }).pipe(
        switchMap(async (env) => {
          const [id] = await containersOwnedBy(docker, [process.pid]);
          return { url: env.url, inspect: await docker.getContainer(id!).inspect() };
        }),
        timeout(20_000),
      ),
    );
    const requested = Object.values(info.inspect.HostConfig.PortBindings ?? {}).flat() as Array<{ HostIp: string }>;
    const published = Object.values(info.inspect.NetworkSettings.Ports ?? {}).flat() as Array<{ HostIp: string; HostPort: string }>;
    expect(requested.length).toBeGreaterThan(0);
    expect(published.length).toBeGreaterThan(0);
    expect(requested.map((b) => b.HostIp)).toEqual(requested.map(() => '127.0.0.1'));
    expect(published.map((b) => b.HostIp)).toEqual(published.map(() => '127.0.0.1'));
    expect(info.url).toBe(`http://127.0.0.1:${published[0]!.HostPort}`);
    await awaitRuntimeTeardowns();
    expect(await containersOwnedBy(docker, [process.pid])).toEqual([]);
  }, 40_000);
});
