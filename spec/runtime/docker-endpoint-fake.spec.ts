import { jest } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { firstValueFrom } from 'rxjs';
import { Readable } from 'node:stream';
import { DockerError, InvalidOptionError, TimeoutError } from '../../src/errors/index.js';
import type { PullProgressEvent } from '../../src/runtime/docker/pull-image.js';
import { dockerEndpoint as lazyDockerEndpoint } from '../../src/runtime/lazy-runtimes.js';
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

function fakeEngine(options: { create?: Promise<void>; onCreate?: () => void; removeError?: Error; pull?: { afterMs: number; lines: object[] } } = {}) {
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
    ping: async () => void calls.push('ping'),
    getImage: () => ({
      inspect: async () => {
        throw Object.assign(new Error('(HTTP code 404) no such image'), { statusCode: 404 });
      },
    }),
    pull: async (image: string, opts: { abortSignal?: AbortSignal }) => {
      calls.push(`pull ${image}`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, options.pull?.afterMs ?? 0);
        opts.abortSignal?.addEventListener('abort', () => {
          calls.push('pull aborted');
          clearTimeout(timer);
          reject(opts.abortSignal!.reason);
        });
      });
      return Readable.from((options.pull?.lines ?? []).map((l) => `${JSON.stringify(l)}\n`));
    },
    createContainer: async (config: Docker.ContainerCreateOptions) => {
      calls.push(`create ${config.Image}`);
      options.onCreate?.();
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
    expect(calls).toEqual(['ping', 'create img', 'start', 'stop t=3', 'remove {"force":true,"v":true}']);
    expect(stopped).toMatchObject({ containerId: 'c0ffee0000000000', sessionId: expect.any(String) });
  });

  it('an unsubscribe while the create is in flight removes the container once it exists, and never starts it', async () => {
    const create = deferred<void>();
    const creating = deferred<void>();
    const { docker, calls } = fakeEngine({ create: create.promise, onCreate: () => creating.resolve() });
    const subscription = dockerEndpoint('img', base(docker)).subscribe();
    await creating.promise; // the create call is in flight (held until create.resolve())
    expect(calls).toEqual(['ping', 'create img']);
    subscription.unsubscribe();
    create.resolve();
    await awaitRuntimeTeardowns();
    expect(calls).toEqual(['ping', 'create img', 'remove {"force":true,"v":true}']);
  });

  it('a start timeout is TimeoutError phase start, emitted after the container was removed', async () => {
    healthStatus = 503;
    const { docker, calls } = fakeEngine();
    // 2 s of 503s: room for a probe to be answered however loaded the machine is.
    const error = await firstValueFrom(dockerEndpoint('img', base(docker, { startTimeoutMs: 2_000, healthIntervalMs: 20 }))).catch((e: unknown) => e);
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

  it('by default the teardown is a forced removal: no docker stop, no grace', async () => {
    const { docker, calls } = fakeEngine();
    await firstValueFrom(dockerEndpoint('img', base(docker)));
    await awaitRuntimeTeardowns();
    expect(calls).toEqual(['ping', 'create img', 'start', 'remove {"force":true,"v":true}']);
  });
});

describe('dockerEndpoint pull phase (scripted engine)', () => {
  const lines = [{ status: 'Pulling from x/img', id: 'latest' }, { status: 'Downloading', id: 'abc', progressDetail: { current: 5, total: 10 } }, { status: 'Status: Downloaded newer image for x/img:latest' }];

  it('a pull longer than startTimeoutMs still starts: the pull has its own budget; progress reaches onProgress', async () => {
    // The pull outlasts the start budget (a slow machine only makes it longer); the start after it has 2 s.
    const { docker, calls } = fakeEngine({ pull: { afterMs: 2_500, lines } });
    const events: PullProgressEvent[] = [];
    const endpoint = await firstValueFrom(
      dockerEndpoint('x/img', base(docker, { pull: 'if-missing', startTimeoutMs: 2_000, pullTimeoutMs: 30_000, onProgress: (e) => events.push(e) })),
    );
    expect(endpoint.kind).toBe('docker');
    expect(calls.slice(0, 3)).toEqual(['ping', 'pull x/img', 'create x/img']);
    expect(events).toEqual(lines.map((line) => ({ image: 'x/img', ...line })));
  });

  it('pullTimeoutMs is TimeoutError phase pull, and no container is created', async () => {
    const { docker, calls } = fakeEngine({ pull: { afterMs: 60_000, lines } });
    let stopped: { containerId?: string } | undefined;
    const error = await firstValueFrom(dockerEndpoint('x/img', base(docker, { pull: 'always', pullTimeoutMs: 200, onStopped: (i) => (stopped = i) }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: 'pull', timeoutMs: 200, context: { image: 'x/img' } });
    expect(calls).toEqual(['ping', 'pull x/img', 'pull aborted']);
    expect(stopped).toEqual({ containerId: undefined, sessionId: expect.any(String) });
  });
});

describe('dockerEndpoint arguments are checked on subscribe (cold)', () => {
  const errorOf = (source$: ReturnType<typeof dockerEndpoint>) => firstValueFrom(source$).catch((e: unknown) => e);

  it.each<[string, unknown, Partial<DockerEndpointOptions>]>([
    ['startTimeoutMs', 'img', { startTimeoutMs: -1 }],
    ['pullTimeoutMs', 'img', { pullTimeoutMs: 0 }],
    ['pull', 'img', { pull: 'sometimes' as 'never' }],
    ['containerPort', 'img', { containerPort: 70_000 }],
    ['stopGraceS', 'img', { stopGraceS: 1.5 }],
    ['onProgress', 'img', { onProgress: 'yes' as unknown as () => void }],
  ])('a bad %s: the call returns, subscribing errors with InvalidOptionError naming it', async (option, image, options) => {
    const { docker, calls } = fakeEngine();
    let source$: ReturnType<typeof dockerEndpoint> | undefined;
    expect(() => (source$ = dockerEndpoint(image as string, base(docker, options)))).not.toThrow();
    const error = await errorOf(source$!);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option });
    expect(calls).toEqual([]); // the engine was never asked anything
  });

  it.each(['', 42, '   '])('an unusable image %p: the call returns, subscribing errors with InvalidOptionError', async (image) => {
    const { docker, calls } = fakeEngine();
    let source$: ReturnType<typeof dockerEndpoint> | undefined;
    expect(() => (source$ = dockerEndpoint(image as string, base(docker)))).not.toThrow();
    const error = await errorOf(source$!);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'image', value: image });
    expect(calls).toEqual([]);
  });

  it('the exported lazy wrapper is cold too', async () => {
    let source$: ReturnType<typeof dockerEndpoint> | undefined;
    expect(() => (source$ = lazyDockerEndpoint(''))).not.toThrow();
    expect(await errorOf(source$!)).toMatchObject({ name: 'InvalidOptionError', option: 'image' });
  });
});
