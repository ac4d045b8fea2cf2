import { lastValueFrom, Subscription, tap } from 'rxjs';
import { z } from 'zod';
import { collect, type CollectEvent } from '../../src/fleet/collect.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { processEndpoint } from '../../src/runtime/process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { defineEnv } from '../../src/session/define-env.js';
import { repoPath } from '../fixtures/test-image.js';
import { readFailures, readResults, useTempDirs } from './support/collect-files.js';

const Echo = defineEnv({ name: 'echo', action: z.object({ message: z.string().min(1) }) });

/** An echo server child process taking `slots` sessions, started by the test (a fixed URL for the pool). */
function startServer(slots: number, owned: Subscription): Promise<Endpoint> {
  return new Promise((resolve, reject) => {
    owned.add(
      processEndpoint(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', 'spec/fleet/support/hold-server.ts'], {
        cwd: repoPath(),
        env: { MAX_CONCURRENT_ENVS: String(slots) },
        startTimeoutMs: 30_000,
        stopGraceMs: 1_000,
      }).subscribe({ next: resolve, error: reject }),
    );
  });
}

describe('collect when the pool fails (real server processes at fixed URLs)', () => {
  const tempDir = useTempDirs();
  const servers = new Subscription();
  let a: Endpoint;
  let b: Endpoint;
  beforeAll(async () => {
    [a, b] = await Promise.all([startServer(2, servers), startServer(1, servers)]);
  }, 60_000);
  afterAll(async () => {
    servers.unsubscribe();
    await awaitRuntimeTeardowns();
  });

  it("reports the pool's own error with its cause, and counts only the killed server's episodes as failed (the torn-down healthy ones are not run)", async () => {
    const out = tempDir();
    const events: CollectEvent[] = [];
    let recorded = 0;
    // Three sessions: two on server a, one on server b. Server a is SIGKILLed after 20 records; its
    // sessions are replaced on a (refused) until the pool gives up, and tears down b's healthy session.
    const error = await lastValueFrom(
      collect([Echo.connect(a.url), Echo.connect(b.url)], () => ({ message: 'x' }), { out, episodes: 2000, sessions: 3, maxSteps: 3, pool: { startRetries: 1 } }).pipe(
        tap((event) => {
          events.push(event);
          if (event.type === 'recorded' && ++recorded === 20) process.kill(Number(a.id), 'SIGKILL');
        }),
      ),
    ).then(
      () => new Error('completed'),
      (caught: unknown) => caught,
    );

    expect(error).toMatchObject({ code: 'ERR_POOL_START', cause: expect.objectContaining({ code: 'ERR_CONNECTION' }) });
    const summary = (events.at(-1) as Extract<CollectEvent, { type: 'summary' }>).summary;
    const failures = readFailures(out);
    expect(summary).toMatchObject({ status: 'failed', planned: 2000, failed: failures.length, recorded: readResults(out).length });
    expect(summary.recorded + summary.failed + summary.notRun).toBe(2000);
    // Only the two episodes on the killed server failed; b's episode in flight at the teardown is left for a resume.
    expect(failures.map((f) => f.server)).toEqual([a.url, a.url]);
    expect(summary.failures).toEqual({ ERR_CONNECTION_CLOSED: 2 });
  }, 90_000);
});
