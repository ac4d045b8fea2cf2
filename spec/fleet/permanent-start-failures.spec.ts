import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { defer, firstValueFrom, lastValueFrom, map, switchMap, take, type Observable } from 'rxjs';
import { isPermanentStartFailure } from '../../src/errors/index.js';
import { envPool } from '../../src/fleet/env-pool.js';
import { perServer } from '../../src/fleet/pool-source.js';
import { rollouts } from '../../src/operators/rollouts.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { processEndpoint } from '../../src/runtime/lazy-runtimes.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { defineEnv } from '../../src/session/define-env.js';
import { echoEnv } from '../../src/envs/echo.js';
import { serve } from '../../src/server/serve.js';
import { ensureTestImage, repoPath } from '../fixtures/test-image.js';
import { servicesOwnedBy } from '../swarm/support/swarm-test-support.js';
import { dockerSuite, swarmSuite } from '../support/engine-suite.js';

// Start failures that can never succeed fail at once with their cause; transient ones are retried.
// Each case counts start attempts (subscriptions of the session or server Observable): the old
// code retried them (rollouts replaced the session, the pool ran its start rounds or quarantine).

const Echo = defineEnv({ name: 'echo' });
const say = () => ({ message: 'hi' });
/** Replacements and retries fast and bounded, so that a retry (the bug) shows as a count, not a wait. */
const fastRetries = { maxRetries: 3, backoff: { initialMs: 20, maxMs: 20 } };

/** `source` with its subscriptions counted. */
function counted<T>(source: () => Observable<T>): { source$: Observable<T>; attempts: () => number } {
  let attempts = 0;
  return {
    source$: defer(() => {
      attempts++;
      return source();
    }),
    attempts: () => attempts,
  };
}

const crashingServer = () =>
  processEndpoint(process.execPath, [repoPath('spec/fixtures/echo-server.mjs'), '--port', '{port}'], { env: { ECHO_CRASH_AT_START: '3' }, startTimeoutMs: 20_000 });

afterEach(async () => {
  await awaitRuntimeTeardowns();
});

describe('permanent start failures fail at once (real processes and sockets)', () => {
  it('rollouts: a server process that exits with a code at start is not replaced; the error carries the code and its output', async () => {
    const { source$, attempts } = counted(() => Echo.fromEndpoint(crashingServer()));
    const error = await lastValueFrom(rollouts(source$, say, { sessions: 1, episodes: 2, replaceFailedSessions: fastRetries })).catch((e: unknown) => e);
    expect(attempts()).toBe(1);
    expect(error).toMatchObject({ code: 'ERR_PROCESS_EXITED', exitCode: 3, permanent: true });
    expect(String((error as Error).message)).toContain('boot line 60');
  }, 30_000);

  it('envPool (servers it starts): the same crash fails the pool after one attempt, with the cause', async () => {
    const { source$, attempts } = counted(crashingServer);
    const pool$ = envPool(perServer(source$, (endpoint$: Observable<Endpoint>) => Echo.fromEndpoint(endpoint$)), { size: 1, startRetries: 5, backoff: { initialMs: 20, maxMs: 20 } });
    const error = await lastValueFrom(pool$).catch((e: unknown) => e);
    expect(attempts()).toBe(1);
    expect(error).toMatchObject({ code: 'ERR_POOL_START', attempts: 1, cause: { code: 'ERR_PROCESS_EXITED', exitCode: 3 } });
  }, 30_000);

  describe('fixed URLs', () => {
    let notFound: { child: ChildProcess; url: string };
    beforeAll(async () => {
      // Not an OpenEnv server: FastAPI's JSON 404 on every route (so the probe reads "generation A", and POST /reset is a 404).
      const child = spawn(
        process.execPath,
        ['-e', `require('http').createServer((q, s) => { s.writeHead(404, { 'content-type': 'application/json' }); s.end('{"detail":"Not Found"}'); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); })`],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const port = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
      notFound = { child, url: `http://127.0.0.1:${port}` };
    }, 20_000);
    afterAll(() => notFound?.child.kill('SIGKILL'));

    it('a 404 for the env routes fails the pool after one attempt, naming the route and status', async () => {
      const { source$, attempts } = counted(() => Echo.connect(notFound.url));
      const error = await lastValueFrom(envPool(source$, { size: 1, startRetries: 3, backoff: { initialMs: 20, maxMs: 20 } })).catch((e: unknown) => e);
      expect(attempts()).toBe(1);
      expect(error).toMatchObject({ code: 'ERR_POOL_START', cause: { code: 'ERR_HTTP_STATUS', status: 404, permanent: true } });
    }, 30_000);

    it('in a fixed list, a 404 server is dropped after one attempt and the others carry the pool', async () => {
      const live = await serve(echoEnv, { port: 0, maxSessions: 4 });
      try {
        const bad = counted(() => Echo.connect(notFound.url));
        // One session at a time, so the count is the bad server's attempts, not concurrent first placements.
        const pool = await firstValueFrom(envPool([bad.source$, Echo.connect(live.url)], { size: 1, backoff: { initialMs: 20, maxMs: 20 } }).pipe(
          switchMap((p) => p.session().pipe(take(1), map(() => p.stats()))),
        ));
        expect(bad.attempts()).toBe(1);
        expect(pool.servers.map((s) => s.state)).toEqual(['dead', 'up']);
        expect(pool.servers[0]!.lastError).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 404 });
      } finally {
        await live.close();
      }
    }, 30_000);

    it('a closed port is transient: re-probed until no server could host a session for unplaceableTimeoutMs', async () => {
      const closed = `http://127.0.0.1:${await freeClosedPort()}`;
      const { source$, attempts } = counted(() => Echo.connect(closed));
      const error = await lastValueFrom(envPool(source$, { size: 1, unplaceableTimeoutMs: 500, backoff: { initialMs: 20, maxMs: 20 } })).catch((e: unknown) => e);
      expect(attempts()).toBeGreaterThan(1);
      expect(isPermanentStartFailure((error as { cause?: unknown }).cause)).toBe(false);
      expect(error).toMatchObject({ code: 'ERR_POOL_START', cause: { code: 'ERR_CONNECTION' } });
    }, 30_000);
  });
});

/** A port nobody listens on: bound by a server that is closed again. */
async function freeClosedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const dockerEngine = await dockerSuite();
const { docker } = dockerEngine;

dockerEngine.describe('permanent start failures on a real Docker engine', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureTestImage();
  }, 180_000);

  it('no such image: rollouts fail after one attempt with the DockerError', async () => {
    const { source$, attempts } = counted(() => Echo.fromDockerImage('openenv-rx-no-such-image:never'));
    const error = await lastValueFrom(rollouts(source$, say, { sessions: 1, episodes: 2, replaceFailedSessions: fastRetries })).catch((e: unknown) => e);
    expect(attempts()).toBe(1);
    expect(error).toMatchObject({ code: 'ERR_DOCKER', permanent: true });
    expect(String((error as Error).message)).toContain('Image openenv-rx-no-such-image:never is not present locally');
  }, 30_000);

  it('a container that exits with a code at start: rollouts fail after one attempt with its code and log tail', async () => {
    const { source$, attempts } = counted(() => Echo.fromDockerImage(image, { env: { ECHO_CRASH_AT_START: '3' }, startTimeoutMs: 30_000 }));
    const error = await lastValueFrom(rollouts(source$, say, { sessions: 1, episodes: 2, replaceFailedSessions: fastRetries })).catch((e: unknown) => e);
    expect(attempts()).toBe(1);
    expect(error).toMatchObject({ code: 'ERR_CONTAINER_EXITED', exitCode: 3, permanent: true });
    expect(String((error as Error).message)).toContain('boot line 60');
  }, 60_000);
});

const swarmEngine = await swarmSuite();

swarmEngine.describe('permanent start failures on a real swarm', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureTestImage();
  }, 180_000);

  it('a placement constraint no node satisfies: one attempt, failed after schedulingTimeoutMs with the scheduler\'s reason; the service removed', async () => {
    const { source$, attempts } = counted(() =>
      Echo.fromSwarmService(image, { constraints: ['node.labels.openenv-rx-no-such-label==1'], schedulingTimeoutMs: 300, startTimeoutMs: 30_000 }),
    );
    const error = await lastValueFrom(rollouts(source$, say, { sessions: 1, episodes: 2, replaceFailedSessions: fastRetries })).catch((e: unknown) => e);
    expect(attempts()).toBe(1);
    expect(error).toMatchObject({ code: 'ERR_SWARM_TASK', permanent: true });
    expect(String((error as Error).message)).toMatch(/scheduling constraints not satisfied/);
    await awaitRuntimeTeardowns();
    expect(await servicesOwnedBy(docker, [process.pid])).toEqual([]);
  }, 60_000);
});
