import { defer, firstValueFrom, from, lastValueFrom, map, Subscription, switchMap, tap, toArray } from 'rxjs';
import type { PoolUnplaceableError } from '../../src/errors/fleet-errors.js';
import { envPool, type EnvPool, type PoolStats } from '../../src/fleet/env-pool.js';
import { vectorEnv } from '../../src/fleet/vector-env.js';
import type { VectorEnv } from '../../src/fleet/vector-types.js';
import { rollouts, type RolloutStep } from '../../src/operators/rollouts.js';
import { withSession } from '../../src/operators/with-session.js';
import type { ConnectOptions } from '../../src/session/types.js';
import { closedPortUrl, Echo, useUrlServers, type UrlServer } from './support/url-servers.js';
import { pollUntil } from '../support/poll.js';

type Act = { message: string };
type Obs = { echoed_message: string; message_length: number };
type Step = RolloutStep<Act, Obs>;
const policy = (): Act => ({ message: 'hi' });
const READY = 'Echo environment ready!';
const ended = (step: Step) => step.done || step.truncated;
const connectAll = (urls: string[], options: ConnectOptions = {}) => urls.map((url) => Echo.connect(url, { transport: 'ws', ...options }));

/** Per-test bounds: the whole file must stay well under a minute on a loaded machine. */
const WAIT_MS = 20_000;

/**
 * Real `openenv-rx serve echo` processes at fixed URLs (2 sessions each), a pool over
 * `[connect(a), connect(b)]`: one server killed, frozen, restarted or never there.
 */
describe('envPool over a fixed list of URLs: a dead or frozen server is quarantined, the others carry the run, a recovered one is used again', () => {
  const start = useUrlServers();

  it('SIGKILL of the server both sessions sit on: the lost sessions move to the other server at once and every episode is run (issue 20 repro)', async () => {
    const a = await start();
    const b = await start();
    let before: PoolStats | undefined;
    let episodes = 0;
    const pool$ = envPool(connectAll([a.url, b.url]), { size: 2 });
    const started = Date.now();
    const r = await lastValueFrom(
      pool$.pipe(
        withSession((pool) =>
          rollouts(defer(() => pool.session()), policy, { sessions: 2, episodes: 400, maxSteps: 1 }).pipe(
            tap((step) => {
              if (!ended(step) || ++episodes !== 20) return;
              before = pool.stats();
              a.signal('SIGKILL');
            }),
            toArray(),
            map((steps) => ({ steps, stats: pool.stats() })),
          ),
        ),
      ),
    );
    const last = r.steps.filter(ended);
    // Every planned episode was emitted once; at most the two in flight on A failed.
    expect(new Set(last.map((s) => s.episodeIndex)).size).toBe(400);
    expect(last).toHaveLength(400);
    const failed = last.filter((s) => s.error);
    expect(failed.length).toBeLessThanOrEqual(2);
    for (const step of failed) expect(['ERR_CONNECTION_CLOSED', 'ERR_CONNECTION']).toContain((step.error!.cause as { code?: string }).code);
    // Both sessions were on A (filled first; B not connected yet, named by its URL all the same);
    // after the kill, both on B, A marked with its failure.
    expect(before!.servers.map((s) => [s.label, s.sessions])).toEqual([
      [a.url, 2],
      [b.url, 0],
    ]);
    expect(r.stats.servers.map((s) => [s.label, s.sessions])).toEqual([
      [a.url, 0],
      [b.url, 2],
    ]);
    expect(r.stats.servers[0]!.lastError).toMatchObject({ code: expect.stringMatching(/^ERR_CONNECTION/) });
    expect(r.stats).toMatchObject({ failed: 2 });
    expect(Date.now() - started).toBeLessThan(WAIT_MS);
  }, 60_000);

  /**
   * Three sessions over two 2-slot servers (two on A, one on B); `fault(a)` mid-run: B takes one
   * more, the third lease waits while A is quarantined and re-probed; `recover(a)` brings A back:
   * re-admitted, the waiting lease is served there and the run goes on.
   */
  async function survives(fault: (a: UrlServer) => Promise<UrlServer | void>, recover: (a: UrlServer) => Promise<UrlServer | void>, connect: ConnectOptions = {}) {
    let a = await start();
    const b = await start();
    let episodes = 0;
    let pool!: EnvPool<unknown>;
    const sub = new Subscription();
    const errors: unknown[] = [];
    sub.add(
      envPool(connectAll([a.url, b.url], connect), { size: 3, backoff: { initialMs: 100, maxMs: 400 } })
        .pipe(
          tap((p) => (pool = p)),
          switchMap((p) => rollouts(defer(() => p.session()), policy, { sessions: 3, episodes: 1_000_000, maxSteps: 1 })),
        )
        .subscribe({ next: (step) => void (ended(step) && episodes++), error: (e: unknown) => errors.push(e) }),
    );
    try {
      await pollUntil(() => episodes >= 20, 'episodes >= 20', { timeoutMs: WAIT_MS, intervalMs: 50 });
      expect(pool.stats().servers.map((s) => [s.label, s.sessions])).toEqual([
        [a.url, 2],
        [b.url, 1],
      ]);
      a = (await fault(a)) ?? a;
      // A is quarantined (its trial failed) while B carries the run with its two slots. Its
      // `lastError` is the latest of its failed starts and lost sessions: under load the second
      // lost session's close can be handled after the trial's refusal, so wait for a failed start
      // (the next trial's, at the latest) to be the one named.
      const quarantined = await pollUntil(
        () => {
          const a0 = pool.stats().servers[0]!;
          return a0.state === 'quarantined' && (a0.lastError as { code?: string } | undefined)?.code !== 'ERR_CONNECTION_CLOSED';
        },
        "A quarantined, named by a failed start",
        { timeoutMs: WAIT_MS, intervalMs: 50 },
      ).then(() => true, () => false);
      const during = pool.stats();
      const carried = episodes;
      await pollUntil(() => episodes >= carried + 20, 'episodes >= carried + 20', { timeoutMs: WAIT_MS, intervalMs: 50 });
      a = (await recover(a)) ?? a;
      // Re-admitted: the waiting lease runs on A again.
      const readmitted = await pollUntil(() => {
        const s = pool.stats();
        return s.servers[0]!.state === 'up' && s.servers[0]!.sessions === 1 && s.leased === 3;
      }, 'the condition above', { timeoutMs: WAIT_MS, intervalMs: 50 }).then(() => true, () => false);
      const back = episodes;
      await pollUntil(() => episodes >= back + 20, 'episodes >= back + 20', { timeoutMs: WAIT_MS, intervalMs: 50 });
      return { quarantined, during, readmitted, after: pool.stats(), errors };
    } finally {
      sub.unsubscribe();
    }
  }

  it('a server restarted on the same port after SIGKILL is re-admitted and used again', async () => {
    const r = await survives(
      async (a) => a.signal('SIGKILL'),
      async (a) => {
        await a.cli.exited;
        return start({ port: a.port });
      },
    );
    expect(r.quarantined).toBe(true);
    expect(r.during.servers[1]).toMatchObject({ sessions: 2, limit: 2, state: 'up' });
    expect(r.during.servers[0]!.lastError).toMatchObject({ code: 'ERR_CONNECTION', message: expect.stringContaining('ECONNREFUSED') });
    expect(r.readmitted).toBe(true);
    expect(r.after.servers.map((s) => s.sessions)).toEqual([1, 2]);
    expect(r.errors).toEqual([]);
  }, 90_000);

  it('a frozen server (SIGSTOP) is quarantined once its replies and handshakes time out, and re-admitted after SIGCONT', async () => {
    const r = await survives(
      async (a) => a.signal('SIGSTOP'),
      async (a) => a.signal('SIGCONT'),
      { replyTimeoutMs: 2_000, connectTimeoutMs: 2_000 },
    );
    expect(r.quarantined).toBe(true);
    expect(r.during.servers[1]).toMatchObject({ sessions: 2, state: 'up' });
    expect(r.during.servers[0]!.lastError).toMatchObject({ code: 'ERR_TIMEOUT' });
    expect(r.readmitted).toBe(true);
    expect(r.after.servers.map((s) => s.sessions)).toEqual([1, 2]);
    expect(r.errors).toEqual([]);
  }, 90_000);

  it('a port closed before the start: the other server carries the run, the closed one is named with ECONNREFUSED', async () => {
    const closed = await closedPortUrl();
    const b = await start();
    const r = await lastValueFrom(
      envPool(connectAll([closed, b.url]), { size: 2 }).pipe(
        withSession((pool) =>
          rollouts(defer(() => pool.session()), policy, { sessions: 2, episodes: 100, maxSteps: 1 }).pipe(
            toArray(),
            map((steps) => ({ steps, stats: pool.stats() })),
          ),
        ),
      ),
    );
    expect(r.steps.filter((s) => ended(s) && !s.error)).toHaveLength(100);
    expect(r.stats.servers).toEqual([
      expect.objectContaining({ label: closed, sessions: 0, lastError: expect.objectContaining({ code: 'ERR_CONNECTION', message: expect.stringContaining('ECONNREFUSED') }) }),
      expect.objectContaining({ label: b.url, sessions: 2, state: 'up' }),
    ]);
  }, 60_000);

  it('every server dead or frozen: fails after `unplaceableTimeoutMs` (not before) with PoolUnplaceableError naming each server and its cause', async () => {
    const closed = await closedPortUrl();
    const frozen = await start();
    frozen.signal('SIGSTOP');
    const started = Date.now();
    const error = await firstValueFrom(
      envPool(connectAll([closed, frozen.url], { connectTimeoutMs: 300 }), { size: 2, backoff: { initialMs: 100 }, unplaceableTimeoutMs: 1_500 }),
    ).then(
      () => undefined,
      (e: unknown) => e as PoolUnplaceableError,
    );
    const waited = Date.now() - started;
    expect(error).toMatchObject({ name: 'PoolUnplaceableError', code: 'ERR_POOL_START' });
    expect(error!.waitedMs).toBeGreaterThanOrEqual(1_500); // measured on the pool's scheduler (here real time)
    expect(error!.servers).toEqual([
      { server: closed, cause: expect.objectContaining({ code: 'ERR_CONNECTION', message: expect.stringContaining('ECONNREFUSED') }) },
      { server: frozen.url, cause: expect.objectContaining({ code: 'ERR_TIMEOUT', message: expect.stringContaining('handshake timed out') }) },
    ]);
    expect(error!.message).toContain(`${closed}: WebSocket connection failed`);
    expect(error!.message).toContain(`${frozen.url}: WebSocket handshake timed out`);
    expect(waited).toBeGreaterThanOrEqual(1_500);
    expect(waited).toBeLessThan(WAIT_MS);
  }, 60_000);

  it('vectorEnv over a fixed list: a killed server loses its sub-envs episodes (reported), the next step resets them on the other server', async () => {
    const a = await start();
    const b = await start();
    const all = (message: string): Act[] => [{ message }, { message }];
    const script = async (v: VectorEnv<Act, Obs>) => {
      await firstValueFrom(v.reset());
      const first = await firstValueFrom(v.step(all('a')));
      const before = v.stats().pool;
      a.signal('SIGKILL');
      const noticed = await pollUntil(() => v.stats().pool.failed === 2, 'v.stats().pool.failed === 2', { timeoutMs: WAIT_MS, intervalMs: 50 }).then(() => true, () => false);
      const lost = await firstValueFrom(v.step(all('b')));
      const after = await firstValueFrom(v.step(all('c')));
      const next = await firstValueFrom(v.step(all('d')));
      return { first, before, noticed, lost, after, next, stats: v.stats() };
    };
    const r = await firstValueFrom(vectorEnv(connectAll([a.url, b.url]), { num: 2 }).pipe(switchMap((v) => from(script(v)))));

    expect(r.first.observations.map((o) => o.echoed_message)).toEqual(['a', 'a']);
    expect(r.before.servers.map((s) => s.sessions)).toEqual([2, 0]);
    expect(r.noticed).toBe(true);
    expect(r.lost.truncations).toEqual([true, true]);
    for (const error of r.lost.infos.error!) expect(error).toMatchObject({ code: 'ERR_EPISODE_FAILED', stepUnknown: false });
    expect(r.after.observations.map((o) => o.echoed_message)).toEqual([READY, READY]);
    expect(r.next.observations.map((o) => o.echoed_message)).toEqual(['d', 'd']);
    expect(r.stats.pool.servers.map((s) => [s.label, s.sessions])).toEqual([
      [a.url, 0],
      [b.url, 2],
    ]);
  }, 60_000);
});
