import { defer, lastValueFrom, tap } from 'rxjs';
import { z } from 'zod';
import { collect, type CollectEvent } from '../../src/fleet/collect.js';
import { perServer } from '../../src/fleet/pool-source.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { processEndpoint } from '../../src/runtime/process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { defineEnv } from '../../src/session/define-env.js';
import { repoPath } from '../fixtures/test-image.js';
import { readFailures, readResults, useTempDirs } from './support/collect-files.js';

const Echo = defineEnv({ name: 'echo', action: z.object({ message: z.string().min(1) }) });

/** An echo server child process taking `slots` sessions (our own `serve`), stopped with the pool. */
const echoServer = (slots: number) =>
  processEndpoint(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', 'spec/fleet/support/hold-server.ts'], {
    cwd: repoPath(),
    env: { MAX_CONCURRENT_ENVS: String(slots) },
    startTimeoutMs: 30_000,
    stopGraceMs: 1_000,
  });

/** A server process that exits at start: every start after the first two fails. */
const deadOnArrival = () => processEndpoint(process.execPath, ['-e', 'process.exit(3)'], { startTimeoutMs: 30_000 });

describe('collect when the pool fails (real server processes the pool starts)', () => {
  const tempDir = useTempDirs();
  afterAll(() => awaitRuntimeTeardowns());

  it("reports the pool's own error with its cause, and counts only the killed server's episodes as failed (the torn-down healthy ones are not run)", async () => {
    const out = tempDir();
    const events: CollectEvent[] = [];
    const started: Endpoint[] = [];
    let recorded = 0;
    // Servers the pool starts: a (2 slots), b (1 slot), then only servers that exit at start. Three
    // sessions: two on a, one on b. a is SIGKILLed after 20 records; its sessions' replacements need
    // a new server, which cannot start, so the pool gives up and tears down b's healthy session.
    const server$ = defer(() => {
      const n = started.length + (started.length < 2 ? 0 : 1);
      return (n === 0 ? echoServer(2) : n === 1 ? echoServer(1) : deadOnArrival()).pipe(tap((endpoint) => started.push(endpoint)));
    });
    const error = await lastValueFrom(
      collect(perServer(server$, Echo.fromEndpoint), () => ({ message: 'x' }), {
        out,
        episodes: 2000,
        sessions: 3,
        maxSteps: 3,
        pool: { startRetries: 1, backoff: { initialMs: 10, maxMs: 10 } },
      }).pipe(
        tap((event) => {
          events.push(event);
          if (event.type === 'recorded' && ++recorded === 20) process.kill(Number(started[0]!.id), 'SIGKILL');
        }),
      ),
    ).then(
      () => new Error('completed'),
      (caught: unknown) => caught,
    );

    const [a] = started;
    expect(started).toHaveLength(2);
    expect(error).toMatchObject({ code: 'ERR_POOL_START', cause: expect.objectContaining({ code: 'ERR_PROCESS_EXITED' }) });
    const summary = (events.at(-1) as Extract<CollectEvent, { type: 'summary' }>).summary;
    const failures = readFailures(out);
    expect(summary).toMatchObject({ status: 'failed', planned: 2000, failed: failures.length, recorded: readResults(out).length });
    expect(summary.recorded + summary.failed + summary.notRun).toBe(2000);
    // Only the two episodes on the killed server failed; b's episode in flight at the teardown is left for a resume.
    expect(failures.map((f) => f.server)).toEqual([a!.url, a!.url]);
    expect(summary.failures).toEqual({ ERR_PROCESS_EXITED: 2 }); // the runtime explains the lost sockets: its process died
  }, 90_000);
});
