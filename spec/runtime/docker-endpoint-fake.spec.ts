import { jest } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { firstValueFrom } from 'rxjs';
import { DockerError, TimeoutError } from '../../src/errors/index.js';
import { dockerEndpoint } from '../../src/runtime/docker/docker-endpoint.js';
import type { DockerEndpointOptions } from '../../src/runtime/docker/docker-endpoint-options.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';

// Engine calls scripted in memory (to hit exact phases deterministically); /health is a real
// loopback server. The real-engine behaviour is covered by docker-endpoint.spec.ts.

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

let health: http.Server;
let healthStatus = 200;
let healthPort = 0;

beforeAll(async () => {
  health = http.createServer((_req, res) => {
    res.writeHead(healthStatus, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: healthStatus === 200 ? 'healthy' : 'unhealthy' }));
  });
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  healthPort = (health.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => health.close(() => resolve()));
});
afterEach(async () => {
  healthStatus = 200;
  await awaitRuntimeTeardowns();
});

function fakeEngine(options: { create?: Promise<void>; removeError?: Error } = {}) {
  const calls: string[] = [];
  const container = {
    id: 'c0ffee0000000000',
    start: async () => void calls.push('start'),
    wait: (opts: { abortSignal?: AbortSignal }) =>
      new Promise((_resolve, reject) => opts.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })))),
    inspect: async () => ({
      State: { Running: true },
      HostConfig: {},
      NetworkSettings: { Ports: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(healthPort) }] } },
    }),
    stop: async (o: { t: number }) => void calls.push(`stop t=${o.t}`),
    remove: async (o: object) => {
      calls.push(`remove ${JSON.stringify(o)}`);
      if (options.removeError) throw options.removeError;
    },
  };
  const docker = {
    modem: new Docker({ socketPath: '/tmp/openenv-rx-unused.sock' }).modem,
    ping: async () => 'OK',
    createContainer: async (config: Docker.ContainerCreateOptions) => {
      calls.push(`create ${config.Image}`);
      await options.create;
      return container;
    },
  } as unknown as Docker;
  return { docker, calls };
}

const base = (docker: Docker, extra: Partial<DockerEndpointOptions> = {}): DockerEndpointOptions => ({ docker, reap: false, ...extra });

describe('dockerEndpoint lifecycle (scripted engine)', () => {
  it('emits the published URL once healthy; unsubscribe stops with the grace, then force-removes with volumes', async () => {
    const { docker, calls } = fakeEngine();
    let stopped: unknown;
    const endpoint = await firstValueFrom(dockerEndpoint('img', base(docker, { stopGraceS: 3, onStopped: (i) => (stopped = i) })));
    expect(endpoint).toMatchObject({ url: `http://127.0.0.1:${healthPort}`, kind: 'docker', id: 'c0ffee0000000000' });
    await awaitRuntimeTeardowns();
    expect(calls).toEqual(['create img', 'start', 'stop t=3', 'remove {"force":true,"v":true}']);
    expect(stopped).toMatchObject({ containerId: 'c0ffee0000000000', sessionId: expect.any(String) });
  });

  it('an unsubscribe while the create is in flight removes the container once it exists, and never starts it', async () => {
    const create = deferred<void>();
    const { docker, calls } = fakeEngine({ create: create.promise });
    const subscription = dockerEndpoint('img', base(docker)).subscribe();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['create img']);
    subscription.unsubscribe();
    create.resolve();
    await awaitRuntimeTeardowns();
    expect(calls).toEqual(['create img', 'remove {"force":true,"v":true}']);
  });

  it('a start timeout is TimeoutError phase start, emitted after the container was removed', async () => {
    healthStatus = 503;
    const { docker, calls } = fakeEngine();
    const error = await firstValueFrom(dockerEndpoint('img', base(docker, { startTimeoutMs: 300, healthIntervalMs: 20 }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('start');
    expect((error as TimeoutError).message).toContain('HTTP 503');
    expect((error as TimeoutError).context).toMatchObject({ image: 'img', containerId: 'c0ffee0000000000' });
    expect(calls.at(-1)).toBe('remove {"force":true,"v":true}'); // no stop grace: it never served
  });

  it('teardown errors go to onTeardownError as DockerError, never to an unhandled rejection', async () => {
    const { docker } = fakeEngine({ removeError: Object.assign(new Error('(HTTP code 500) server error - boom'), { statusCode: 500 }) });
    const reported: unknown[] = [];
    await firstValueFrom(dockerEndpoint('img', base(docker, { onTeardownError: (e) => reported.push(e) })));
    await awaitRuntimeTeardowns();
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(DockerError);
    expect((reported[0] as DockerError).message).toContain('boom');
    expect((reported[0] as DockerError).context.containerId).toBe('c0ffee0000000000');
  });

  it('by default a teardown error becomes a process warning', async () => {
    const { docker } = fakeEngine({ removeError: Object.assign(new Error('(HTTP code 500) server error - boom'), { statusCode: 500 }) });
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await firstValueFrom(dockerEndpoint('img', base(docker)));
      await awaitRuntimeTeardowns();
      expect(emitWarning).toHaveBeenCalledWith(expect.stringContaining('boom'), { type: 'DockerError', code: 'OPENENV_RX_TEARDOWN' });
    } finally {
      emitWarning.mockRestore();
    }
  });

  it('rejects an empty image name at call time', () => {
    expect(() => dockerEndpoint('')).toThrow(/Invalid option image: expected a non-empty image name/);
  });
});
