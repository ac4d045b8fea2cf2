import { firstValueFrom, forkJoin, map, switchMap, tap, toArray } from 'rxjs';
import { echoEnv } from '../../src/envs/echo.js';
import { envPool, type EnvPool, type PoolStats } from '../../src/fleet/env-pool.js';
import { perServer } from '../../src/fleet/pool-source.js';
import { withSession } from '../../src/operators/with-session.js';
import { processEndpoint } from '../../src/runtime/process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import type { ActionOf, ObservationOf, StateOf } from '../../src/session/env-spec.js';
import type { EnvSession } from '../../src/session/types.js';
import { CLI_ENTRY } from '../cli/cli-child.js';
import { repoPath } from '../fixtures/test-image.js';
import { pollUntil } from '../support/poll.js';
import { Echo } from '../fixtures/typed-echo.js';

type EchoSession = EnvSession<ActionOf<typeof Echo>, ObservationOf<typeof Echo>, StateOf<typeof Echo>>;

/**
 * `leases` leases claimed at once, each running one 10-step episode; `peak` samples the server's
 * active sessions from inside the policy, i.e. while sessions are busy.
 */
function runLeases(pool: EnvPool<EchoSession>, leases: number, sample: () => void) {
  return forkJoin(
    Array.from({ length: leases }, (_, i) =>
      pool.session().pipe(
        withSession((env) =>
          env.episode(
            () => {
              sample();
              return { message: `lease ${i}` };
            },
            { maxSteps: 10 },
          ),
        ),
        toArray(),
        map((steps) => ({ lease: i, steps: steps.length, last: steps.at(-1)! })),
      ),
    ),
  );
}

describe('envPool against our own server: capacity learned from CAPACITY_REACHED refusals', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await awaitRuntimeTeardowns();
  });

  it.each([
    [1, 3],
    [4, 6],
  ])('serve({ maxSessions: %i }): %i concurrent leases all finish, none sees a refusal, the server never holds more than its capacity', async (maxSessions, leases) => {
    server = await serve(echoEnv, { maxSessions });
    const running = server;
    let peak = 0;
    const stats: PoolStats[] = [];
    const results = await firstValueFrom(
      envPool(Echo.connect(running.url, { transport: 'ws' }), { min: 0, max: leases }).pipe(
        switchMap((pool) => runLeases(pool, leases, () => (peak = Math.max(peak, running.activeSessions()))).pipe(tap(() => stats.push(pool.stats())))),
      ),
    );
    expect(results.map((r) => [r.lease, r.steps, r.last.truncated])).toEqual(Array.from({ length: leases }, (_, i) => [i, 11, true]));
    expect(results.every((r) => r.last.observation.echoed_message === `lease ${r.lease}`)).toBe(true);
    // leases - maxSessions probes were refused, the limit was learned, and no lease failed.
    expect(stats[0]).toMatchObject({ refusals: leases - maxSessions, startFailures: 0, failed: 0, size: maxSessions });
    expect(stats[0]!.servers).toEqual([{ label: running.url, sessions: maxSessions, limit: maxSessions, state: 'up' }]);
    expect(peak).toBe(maxSessions);
    // Unsubscribing the pool closed every session.
    await pollUntil(() => running.activeSessions() === 0, 'running.activeSessions() === 0', { timeoutMs: 5_000, intervalMs: 50 });
  }, 30_000);

  // reprobeMs: a limit learnt while another client held a slot grows back once that client left.
  it('learns limit 1 while another client holds a slot, then serves the waiting lease once that client left', async () => {
    server = await serve(echoEnv, { maxSessions: 2 });
    const running = server;
    const subscriptions: Array<{ unsubscribe(): void }> = [];
    try {
      // Another client holds one of the two slots (confirmed by its reset).
      const outside = new Promise<void>((resolve, reject) => {
        subscriptions.push(Echo.connect(running.url, { transport: 'ws' }).pipe(switchMap((s) => s.reset())).subscribe({ next: () => resolve(), error: reject }));
      });
      await outside;
      const pool = await new Promise<EnvPool<EchoSession>>((resolve, reject) => {
        subscriptions.push(envPool(Echo.connect(running.url, { transport: 'ws' }), { min: 0, max: 2, reprobeMs: 300 }).subscribe({ next: resolve, error: reject }));
      });
      const leased: EchoSession[] = [];
      const failures: unknown[] = [];
      const claim = () => subscriptions.push(pool.session().subscribe({ next: (s) => leased.push(s), error: (e: unknown) => failures.push(e) }));
      claim();
      await pollUntil(() => leased.length === 1, 'leased.length === 1', { timeoutMs: 10_000, intervalMs: 50 });
      // The second lease's session is refused (the slot is the other client's): limit 1, the lease waits.
      claim();
      await pollUntil(() => pool.stats().refusals >= 1, 'pool.stats().refusals >= 1', { timeoutMs: 10_000, intervalMs: 50 });
      expect(leased).toHaveLength(1);
      expect(pool.stats().servers).toEqual([expect.objectContaining({ sessions: 1, limit: 1 })]);
      // The other client leaves; a probe reprobeMs after the lesson takes its slot for the waiting lease.
      subscriptions[0]!.unsubscribe();
      await pollUntil(() => leased.length === 2, 'leased.length === 2', { timeoutMs: 15_000, intervalMs: 50 });
      expect(failures).toEqual([]);
      expect(pool.stats()).toMatchObject({ size: 2, leased: 2, waiting: 0, failed: 0 });
      expect(pool.stats().servers).toEqual([expect.objectContaining({ sessions: 2, limit: 2 })]);
      expect(running.activeSessions()).toBe(2);
      // Both sessions work.
      const answers = await firstValueFrom(forkJoin(leased.map((s, i) => s.step({ message: `lease ${i}` }))));
      expect(answers.map((a) => a.observation.echoed_message)).toEqual(['lease 0', 'lease 1']);
    } finally {
      for (const subscription of subscriptions.reverse()) subscription.unsubscribe();
    }
    await pollUntil(() => running.activeSessions() === 0, 'running.activeSessions() === 0', { timeoutMs: 5_000, intervalMs: 50 });
  }, 60_000);
});

describe('envPool over `openenv-rx serve --max-sessions 4` child processes (perServer)', () => {
  it('packs 4 sessions onto the first process, starts a second for the other 2, and stops both on unsubscribe', async () => {
    const pids: number[] = [];
    const stopped: number[] = [];
    const server$ = processEndpoint(
      process.execPath,
      [CLI_ENTRY, 'serve', 'echo', '--port', '{port}', '--max-sessions', '4'],
      { cwd: repoPath(), startTimeoutMs: 30_000, onStopped: ({ pid }) => pid && stopped.push(pid) },
    ).pipe(tap((endpoint) => pids.push(Number(endpoint.id))));
    const stats = await firstValueFrom(
      envPool(perServer(server$, (endpoint$) => Echo.fromEndpoint(endpoint$, { transport: 'ws' })), { size: 6 }).pipe(
        switchMap((pool) =>
          runLeases(pool, 6, () => undefined).pipe(map((results) => ({ results, stats: pool.stats() }))),
        ),
      ),
    );
    expect(stats.results.every((r) => r.steps === 11)).toBe(true);
    // The first server refused 2 of the 6 probes (max_sessions 4): learned, re-placed on a second.
    expect(stats.stats).toMatchObject({ refusals: 2, startFailures: 0, size: 6 });
    expect(stats.stats.servers.map((s) => [s.sessions, s.limit])).toEqual([
      [4, 4],
      [2, 4],
    ]);
    expect(pids).toHaveLength(2);
    await awaitRuntimeTeardowns();
    await pollUntil(() => stopped.length === 2, 'stopped.length === 2', { timeoutMs: 10_000, intervalMs: 50 });
    expect(stopped.sort()).toEqual([...pids].sort());
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);
});
