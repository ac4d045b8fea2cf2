import http from 'node:http';
import net from 'node:net';
import Docker from 'dockerode';
import { firstValueFrom } from 'rxjs';
import { TimeoutError } from '../../src/errors/index.js';
import { dockerEndpoint } from '../../src/runtime/docker/docker-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { containersOwnedBy } from '../fixtures/docker-test-support.js';
import { pollUntil } from '../support/poll.js';
import { dockerSuite } from '../support/engine-suite.js';

// A "registry" on 127.0.0.1 that accepts connections and never answers. The engine treats
// 127.0.0.0/8 registries as insecure (it tries TLS, then plain HTTP) and on its own gives up only
// after ~25 s (10 s TLS handshake + 15 s response headers): nothing leaves this machine.
const engine = await dockerSuite();
const probe = engine.docker;

interface SilentRegistry {
  port: number;
  /** Resolves once the engine has connected (the pull is under way). */
  reached: Promise<void>;
  close(): Promise<void>;
}

async function silentRegistry(): Promise<SilentRegistry> {
  const sockets = new Set<net.Socket>();
  let reachedResolve!: () => void;
  const reached = new Promise<void>((resolve) => (reachedResolve = resolve));
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    reachedResolve();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    reached,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Requests this client has in flight to the engine (sockets assigned to a request, not idle ones). */
const inFlight = (agent: http.Agent): number => Object.values(agent.sockets).reduce((n, list) => n + (list?.length ?? 0), 0);

engine.describe('image pull against a registry that never answers (real engine)', () => {
  let registry: SilentRegistry;
  let agent: http.Agent;
  let docker: Docker;
  beforeEach(async () => {
    registry = await silentRegistry();
    agent = new http.Agent({ keepAlive: false });
    docker = new Docker({ agent } as Docker.DockerOptions);
  });
  afterEach(async () => {
    await registry.close(); // after the suite's own afterEach awaited the runtimes' teardowns
    agent.destroy();
  });

  const image = () => `127.0.0.1:${registry.port}/openenv-rx-pull-test:never`;

  it('fails with TimeoutError phase pull after pullTimeoutMs (not startTimeoutMs), aborts the pull request, creates nothing', async () => {
    let stopped: { containerId?: string } | undefined;
    const error = await firstValueFrom(
      dockerEndpoint(image(), { docker, reap: false, pull: 'if-missing', pullTimeoutMs: 2_500, startTimeoutMs: 1_000, onStopped: (i) => (stopped = i) }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: 'pull', timeoutMs: 2_500, context: { image: image() } });
    expect(stopped).toMatchObject({ containerId: undefined });
    // The engine would hold the request ~25 s; ours was aborted.
    await pollUntil(() => inFlight(agent) === 0, 'inFlight(agent) === 0', { timeoutMs: 5_000, intervalMs: 50 });
    expect(await containersOwnedBy(probe, [process.pid]).then((ids) => ids.length)).toBe(0);
  }, 30_000);

  it('unsubscribing mid-pull aborts it: no request left in flight, no container, no image', async () => {
    let stopped: { containerId?: string } | undefined;
    const subscription = dockerEndpoint(image(), { docker, reap: false, pull: 'always', onStopped: (i) => (stopped = i) }).subscribe({
      error: (e: unknown) => {
        throw new Error(`no error expected after unsubscribe, got ${String(e)}`);
      },
    });
    await registry.reached; // the engine is pulling now
    expect(inFlight(agent)).toBe(1);
    subscription.unsubscribe();
    await awaitRuntimeTeardowns();
    expect(stopped).toMatchObject({ containerId: undefined });
    await pollUntil(() => inFlight(agent) === 0, 'inFlight(agent) === 0', { timeoutMs: 5_000, intervalMs: 50 });
    expect(await containersOwnedBy(probe, [process.pid]).then((ids) => ids.length)).toBe(0);
    await expect(probe.getImage(image()).inspect()).rejects.toMatchObject({ statusCode: 404 });
  }, 30_000);
});
