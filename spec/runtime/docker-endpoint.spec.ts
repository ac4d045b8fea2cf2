import Docker from 'dockerode';
import { combineLatest, concat, firstValueFrom, forkJoin, from, map, switchMap, take, tap, toArray } from 'rxjs';
import { DockerError, ServerExitedError } from '../../src/errors/index.js';
import { dockerEndpoint } from '../../src/runtime/docker/docker-endpoint.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { openTransport } from '../../src/transport/open-transport.js';
import { containerExists, containersOwnedBy, openSocketCount } from '../fixtures/docker-test-support.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { pollUntil } from '../support/poll.js';
import { dockerSuite } from '../support/engine-suite.js';

const engine = await dockerSuite();
const { docker } = engine;
const mine = (): Promise<string[]> => containersOwnedBy(docker, [process.pid]);

/** Resolves with the error the Observable fails with (and fails the test if it emits instead). */
function errorOf(source$: ReturnType<typeof dockerEndpoint>): Promise<unknown> {
  return firstValueFrom(source$).then(
    (value) => {
      throw new Error(`expected an error, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

engine.describe('dockerEndpoint on a real engine', () => {
  let image: string;

  beforeAll(async () => {
    image = await ensureTestImage();
  }, 120_000);

  it('runs an episode over /ws, labels the container, and removes it on unsubscribe', async () => {
    const t0 = performance.now();
    let tReady = 0;
    const { endpoint, info, results } = await firstValueFrom(
      dockerEndpoint(image, { env: { OPENENV_RX_TEST: 'yes' } }).pipe(
        switchMap((endpoint) => {
          tReady = performance.now();
          return forkJoin({
            info: from(docker.getContainer(endpoint.id!).inspect()),
            results: openTransport(endpoint.url, { transport: 'ws' }).pipe(
              switchMap((t) => concat(t.reset(), t.step({ message: 'hello' }), t.step({ message: 'abc' })).pipe(toArray())),
              take(1),
            ),
          }).pipe(map(({ info, results }) => ({ endpoint, info, results })));
        }),
      ),
    );
    const tUnsubscribed = performance.now();
    await awaitRuntimeTeardowns();
    const tRemoved = performance.now();
    console.log(`docker start→healthy ${Math.round(tReady - t0)} ms, stop+remove ${Math.round(tRemoved - tUnsubscribed)} ms`);

    expect(endpoint.kind).toBe('docker');
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(results.map((r) => r.observation)).toEqual([
      { echoed_message: 'Echo environment ready!', message_length: 0 },
      { echoed_message: 'hello', message_length: 5 },
      { echoed_message: 'abc', message_length: 3 },
    ]);
    expect(results[1]?.reward).toBeCloseTo(0.5);
    const labels = info.Config.Labels;
    expect(labels).toMatchObject({ 'openenv-rx': '1', 'openenv-rx.owner-pid': String(process.pid) });
    expect(labels['openenv-rx.session']).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(labels['openenv-rx.created']!).toISOString()).toBe(labels['openenv-rx.created']);
    expect(info.Config.Env).toContain('OPENENV_RX_TEST=yes');
    expect(info.NetworkSettings.Ports['8000/tcp']?.[0]).toMatchObject({ HostIp: '127.0.0.1', HostPort: endpoint.url.split(':')[2] });
    expect(await containerExists(docker, endpoint.id!)).toBe(false);
  }, 30_000);

  it.each(['subscribe', 'create', 'start'] as const)('removes the container when unsubscribed right at %s (gated on the engine call)', async (phase) => {
    let stopped: { containerId?: string } | undefined;
    // The real engine, watched: the gate opens when the runtime makes the call of `phase`.
    let reached!: () => void;
    const gate = new Promise<void>((resolve) => (reached = resolve));
    const watched = new Docker();
    const createContainer = watched.createContainer.bind(watched);
    watched.createContainer = (async (options: Docker.ContainerCreateOptions) => {
      if (phase === 'create') reached();
      const container = await createContainer(options);
      const start = container.start.bind(container);
      container.start = ((...args: unknown[]) => {
        if (phase === 'start') reached();
        return (start as (...a: unknown[]) => Promise<unknown>)(...args);
      }) as typeof container.start;
      return container;
    }) as typeof watched.createContainer;
    const subscription = dockerEndpoint(image, { docker: watched, onStopped: (info) => (stopped = info) }).subscribe();
    if (phase === 'subscribe') reached();
    await gate;
    subscription.unsubscribe();
    await awaitRuntimeTeardowns();
    expect(stopped).toBeDefined();
    expect(await mine()).toEqual([]);
  }, 20_000);

  it('fails fast with exit code and log tail when the command exits at start, container already removed', async () => {
    const started = performance.now();
    const error = await errorOf(dockerEndpoint(image, { cmd: ['/app/missing.mjs'], startTimeoutMs: 20_000 }));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(ServerExitedError);
    const exited = error as ServerExitedError;
    expect(exited.kind).toBe('container');
    expect(exited.exitCode).toBe(1);
    expect(exited.logTail.join('\n')).toContain("Cannot find module '/app/missing.mjs'");
    expect(exited.context).toMatchObject({ image, containerId: expect.any(String) });
    // Removed before the error was emitted: no waiting here.
    expect(await mine()).toEqual([]);
  }, 20_000);

  it('keeps only the last 50 log lines of a crashing server', async () => {
    const error = (await errorOf(dockerEndpoint(image, { env: { ECHO_CRASH_AT_START: '7' } }))) as ServerExitedError;
    expect(error).toBeInstanceOf(ServerExitedError);
    expect(error.exitCode).toBe(7);
    expect(error.logTail).toHaveLength(50);
    expect(error.logTail[0]).toBe('boot line 12');
    expect(error.logTail.at(-1)).toBe('fatal: crashing on purpose');
  }, 20_000);

  it('errors failure$ with ServerExitedError when the container is killed while in use', async () => {
    const endpoints: Endpoint[] = [];
    // The error ends the subscription by itself (its teardown then removes the container).
    const failure = new Promise<unknown>((resolve) => {
      dockerEndpoint(image)
        .pipe(
          switchMap((endpoint) => {
            endpoints.push(endpoint);
            void docker.getContainer(endpoint.id!).kill();
            return endpoint.failure$!;
          }),
        )
        .subscribe({ error: resolve });
    });
    const error = (await failure) as ServerExitedError;
    expect(error).toBeInstanceOf(ServerExitedError);
    expect(error.exitCode).toBe(137);
    expect(error.context.containerId).toBe(endpoints[0]?.id);
    expect(error.logTail.join('\n')).toContain('echo fixture listening');
    await awaitRuntimeTeardowns();
    expect(await mine()).toEqual([]);
  }, 20_000);

  it('gives two parallel sessions of one image their own containers and ports', async () => {
    const [a, b] = await firstValueFrom(combineLatest([dockerEndpoint(image), dockerEndpoint(image)]));
    expect(a.id).not.toBe(b.id);
    expect(a.url).not.toBe(b.url);
    await awaitRuntimeTeardowns();
    expect(await containerExists(docker, a.id!)).toBe(false);
    expect(await containerExists(docker, b.id!)).toBe(false);
  }, 30_000);

  it('starts and stops 20 sessions in a loop leaving no container and no open socket', async () => {
    const socketsBefore = openSocketCount();
    let socketsDuring = 0;
    for (let i = 0; i < 20; i++) {
      const reset = await firstValueFrom(
        dockerEndpoint(image).pipe(
          switchMap((endpoint) => openTransport(endpoint.url, { transport: 'ws' }).pipe(switchMap((t) => t.reset()))),
          tap(() => (socketsDuring = Math.max(socketsDuring, openSocketCount()))),
        ),
      );
      expect(reset.observation).toEqual({ echoed_message: 'Echo environment ready!', message_length: 0 });
      await awaitRuntimeTeardowns();
    }
    expect(await mine()).toEqual([]);
    expect(socketsDuring).toBeGreaterThan(socketsBefore); // the counter does see our sockets
    await pollUntil(() => openSocketCount() <= socketsBefore, 'openSocketCount() <= socketsBefore', { timeoutMs: 10_000, intervalMs: 50 });
  }, 90_000);

  it("passes createOptions through, merged deeply (HostConfig kept alongside our port binding)", async () => {
    const info = await firstValueFrom(
      dockerEndpoint(image, {
        createOptions: { HostConfig: { Memory: 256 * 1024 * 1024, NanoCpus: 500_000_000 }, Labels: { team: 'rl' }, Env: ['FROM_CREATE=1'] },
        env: { FROM_ENV: '2' },
      }).pipe(switchMap((endpoint) => docker.getContainer(endpoint.id!).inspect())),
    );
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.PortBindings).toEqual({ '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(info.Config.Labels).toMatchObject({ team: 'rl', 'openenv-rx': '1' });
    expect(info.Config.Env).toEqual(expect.arrayContaining(['FROM_CREATE=1', 'FROM_ENV=2']));
  }, 20_000);

  it("pull 'never' names the missing image and the fix; 'if-missing' surfaces the pull failure as DockerError", async () => {
    const absent = '127.0.0.1:9/openenv-rx-absent:nope'; // a closed loopback "registry"
    const never = await errorOf(dockerEndpoint(absent));
    expect(never).toBeInstanceOf(DockerError);
    expect((never as DockerError).message).toMatch(/not present locally.*if-missing/);
    const progress: unknown[] = [];
    const pulled = await errorOf(dockerEndpoint(absent, { pull: 'if-missing', onProgress: (e) => progress.push(e) }));
    expect(pulled).toBeInstanceOf(DockerError);
    expect((pulled as DockerError).message).toMatch(/could not pull.*127\.0\.0\.1:9/);
    expect((pulled as DockerError).context.image).toBe(absent);
    expect(await mine()).toEqual([]);
  }, 20_000);

  it("pull 'if-missing' does not pull an image that is present", async () => {
    const progress: unknown[] = [];
    const endpoint = await firstValueFrom(dockerEndpoint(image, { pull: 'if-missing', onProgress: (e) => progress.push(e) }));
    expect(endpoint.kind).toBe('docker');
    expect(progress).toEqual([]);
  }, 20_000);
});
