import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, firstValueFrom, switchMap, toArray, type Subscription } from 'rxjs';
import { InvalidOptionError, ServerExitedError, TimeoutError } from '../../src/errors/index.js';
import { processEndpoint as lazyProcessEndpoint } from '../../src/runtime/lazy-runtimes.js';
import { isPidAlive } from '../../src/runtime/reaper/process-identity.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { processEndpoint } from '../../src/runtime/process-endpoint.js';
import { freePort } from '../../src/runtime/process/free-port.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { openTransport } from '../../src/transport/open-transport.js';
import { repoPath } from '../fixtures/test-image.js';
import { pollUntil } from '../support/poll.js';

const server = repoPath('spec/fixtures/echo-server.mjs');
const echo = (options: Parameters<typeof processEndpoint>[2] = {}, extraArgs: string[] = []) =>
  processEndpoint(process.execPath, [server, '--port', '{port}', ...extraArgs], { startTimeoutMs: 10_000, ...options });

/** First endpoint, keeping the subscription open (the caller unsubscribes). */
function started(source$: ReturnType<typeof processEndpoint>): Promise<{ endpoint: Endpoint; subscription: Subscription }> {
  return new Promise((resolve, reject) => {
    const subscription = source$.subscribe({ next: (endpoint) => resolve({ endpoint, subscription }), error: reject });
  });
}

function errorOf(source$: ReturnType<typeof processEndpoint>): Promise<unknown> {
  return firstValueFrom(source$).then(
    (value) => {
      throw new Error(`expected an error, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Alive and not a zombie (Linux /proc). */
function isRunning(pid: number): boolean {
  if (!isPidAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const open: Subscription[] = [];
afterEach(async () => {
  open.splice(0).forEach((s) => s.unsubscribe());
  await awaitRuntimeTeardowns();
});

describe('processEndpoint', () => {
  it('starts a server on a free port, runs an episode over /ws, and SIGTERMs it on unsubscribe', async () => {
    let stopped: { pid?: number } | undefined;
    // A 30 s grace: a teardown well under it can only be the SIGTERM, honoured.
    const { endpoint, subscription } = await started(echo({ stopGraceMs: 30_000, onStopped: (info) => (stopped = info) }));
    open.push(subscription);
    expect(endpoint.kind).toBe('process');
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const pid = Number(endpoint.id);
    expect(isPidAlive(pid)).toBe(true);

    const results = await firstValueFrom(
      openTransport(endpoint.url, { transport: 'ws' }).pipe(switchMap((t) => concat(t.reset(), t.step({ message: 'hey' })).pipe(toArray()))),
    );
    expect(results[1]?.observation).toEqual({ echoed_message: 'hey', message_length: 3 });

    const t0 = performance.now();
    subscription.unsubscribe();
    await awaitRuntimeTeardowns();
    expect(performance.now() - t0).toBeLessThan(15_000); // SIGTERM was honoured: no SIGKILL grace needed
    expect(isPidAlive(pid)).toBe(false);
    expect(stopped).toEqual({ pid });
  });

  it('uses an explicit port and keeps probing through 503s until healthy', async () => {
    const port = await freePort();
    const t0 = performance.now();
    const { endpoint, subscription } = await started(echo({ port, env: { ECHO_HEALTH_DELAY_MS: '400' }, healthIntervalMs: 50 }));
    open.push(subscription);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(400);
    expect(endpoint.url).toBe(`http://127.0.0.1:${port}`);
  });

  it('stops the whole process group (a grandchild too)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-'));
    try {
      const pidFile = join(dir, 'grandchild.pid');
      const { subscription } = await started(echo({ env: { ECHO_GRANDCHILD_PID_FILE: pidFile } }));
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      expect(isPidAlive(grandchild)).toBe(true);
      subscription.unsubscribe();
      await awaitRuntimeTeardowns();
      // The grandchild was SIGTERMed with its group (a zombie until init reaps it counts as gone).
      await pollUntil(() => !isRunning(grandchild), '!isRunning(grandchild)', { timeoutMs: 10_000, intervalMs: 50 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('escalates to SIGKILL after stopGraceMs when SIGTERM is ignored', async () => {
    const { endpoint, subscription } = await started(echo({ env: { ECHO_IGNORE_SIGTERM: '1' }, stopGraceMs: 300 }));
    const t0 = performance.now();
    subscription.unsubscribe();
    await awaitRuntimeTeardowns();
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(290); // the grace was granted (a timer never fires early)...
    expect(elapsed).toBeLessThan(15_000); // ...then SIGKILL (without it, the teardown would never end)
    expect(isPidAlive(Number(endpoint.id))).toBe(false);
  });

  it('fails fast with ServerExitedError (exit code, last 50 output lines) when the server exits at start', async () => {
    const t0 = performance.now();
    const error = (await errorOf(echo({ env: { ECHO_CRASH_AT_START: '5' } }))) as ServerExitedError;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ServerExitedError);
    expect(error.code).toBe('ERR_PROCESS_EXITED');
    expect(error.kind).toBe('process');
    expect(error.exitCode).toBe(5);
    expect(error.logTail).toHaveLength(50);
    expect(error.logTail.at(-1)).toBe('fatal: crashing on purpose');
    expect(error.context).toMatchObject({ command: process.execPath, pid: expect.any(Number) });
  });

  it('reports a command that cannot be spawned', async () => {
    const error = (await errorOf(processEndpoint('/nonexistent/openenv-server', []))) as ServerExitedError;
    expect(error).toBeInstanceOf(ServerExitedError);
    expect(error.logTail.join('\n')).toContain('ENOENT');
    expect(error.message).toMatch(/^The env process could not be started/);
  });

  it('errors failure$ when the server dies while in use', async () => {
    const failure = new Promise<unknown>((resolve) => {
      echo()
        .pipe(
          switchMap((endpoint) => {
            process.kill(Number(endpoint.id), 'SIGKILL');
            return endpoint.failure$!;
          }),
        )
        .subscribe({ error: resolve });
    });
    const error = (await failure) as ServerExitedError;
    expect(error).toBeInstanceOf(ServerExitedError);
    expect(error.exitCode).toBeNull();
    expect(error.signal).toBe('SIGKILL');
    expect(error.logTail.join('\n')).toContain('echo fixture listening');
  });

  it('times out with TimeoutError phase start and kills the process before erroring', async () => {
    let pid: number | undefined;
    const error = (await errorOf(
      echo({ env: { ECHO_HEALTH_DELAY_MS: '60000' }, startTimeoutMs: 2_000, healthIntervalMs: 50, onStopped: (info) => (pid = info.pid) }),
    )) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.phase).toBe('start');
    // Normally the server is up and answering 503 by then; on a loaded machine node may still be booting.
    expect(error.message).toMatch(/not healthy after \d+ ms \(last probe: (HTTP 503 unhealthy|ECONNREFUSED)\)/);
    expect(pid).toBeDefined();
    expect(isPidAlive(pid!)).toBe(false);
  });
});

describe('processEndpoint arguments are checked on subscribe (cold)', () => {
  it.each<[string, () => ReturnType<typeof processEndpoint>]>([
    ['command', () => processEndpoint('')],
    ['args', () => processEndpoint(process.execPath, 'server.mjs' as unknown as string[])],
    ['command', () => lazyProcessEndpoint('')],
    ['port', () => processEndpoint(process.execPath, [], { port: -1 })],
    ['startTimeoutMs', () => processEndpoint(process.execPath, [], { startTimeoutMs: 0 })],
    ['stopGraceMs', () => processEndpoint(process.execPath, [], { stopGraceMs: Number.NaN })],
  ])('a bad %s: the call returns, subscribing errors with InvalidOptionError naming it', async (option, make) => {
    let source$: ReturnType<typeof processEndpoint> | undefined;
    expect(() => (source$ = make())).not.toThrow();
    const error = await errorOf(source$!);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option });
  });
});
