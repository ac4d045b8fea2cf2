import { defer, finalize, ignoreElements, switchMap, tap, timer, type Observable } from 'rxjs';
import type { RunHelpers, TestScheduler } from 'rxjs/testing';
import { envPool, type PoolStats } from '../../src/fleet/env-pool.js';
import { STALE_SLOT_RETRIES } from '../../src/fleet/pool-server.js';
import { perServer } from '../../src/fleet/pool-source.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { fakeSession } from '../../src/testing/fake-session.js';
import { newScheduler, type Act, type Obs } from '../episode/episode-fixtures.js';
import { capacity, VALUES, type Fake } from './fleet-fixtures.js';

/**
 * Servers the pool starts, 2 slots each, counting slots as a real server does: the first session on
 * server 0 dies at frame `dieAt` (a reply timeout: the client gives it up), but the server holds its
 * slot until frame `freedAt` (the step it was running ends only then). Logs every open and refusal.
 */
function slotFleet(cold: RunHelpers['cold'], scheduler: TestScheduler, dieAt: number, freedAt: number) {
  const servers = Array.from({ length: 3 }, (_, k) => cold<Endpoint>('-e', { e: { url: `http://server-${k}`, kind: 'process' } }));
  let next = 0;
  const held = new Map<string, Array<{ name: string; until: number }>>();
  const counts = new Map<string, number>();
  const log: string[] = [];
  const server$ = defer(() => servers[next++]!);
  const open = (endpoint$: Observable<Endpoint>): Observable<Fake> =>
    endpoint$.pipe(
      switchMap((endpoint) => {
        const k = endpoint.url.slice(-1);
        const now = scheduler.now();
        const slots = (held.get(k) ?? []).filter((s) => s.until > now);
        held.set(k, slots);
        const n = counts.get(k) ?? 0;
        counts.set(k, n + 1);
        const name = `s${n}@${k}`;
        const full = slots.length >= 2;
        log.push(`${now} ${full ? 'refused' : 'opened'} ${name}`);
        const dies = name === 's0@0';
        const slot = { name, until: dies ? freedAt : Infinity };
        if (!full) slots.push(slot);
        const fake = fakeSession<Act, Obs, unknown>({ cold, name, reset: full ? '-#' : '-r|', steps: () => '-a|', values: VALUES, error: capacity(2) });
        const session$ = cold<Fake>(dies ? `-s${'-'.repeat(dieAt - 2)}#` : '-s', { s: fake }, new Error('reply timeout'));
        // A session closed by the client frees its slot at once; the dying one only at `freedAt`.
        return session$.pipe(finalize(() => void (!dies && slot.until === Infinity && (slot.until = scheduler.now()))));
      }),
    );
  return { servers, server$, open, log };
}

/** Runs a pool of `size` sessions over a slot fleet for `frames` frames; returns its log and its stats at the end. */
function run(size: number, dieAt: number, freedAt: number, frames: number) {
  const scheduler = newScheduler();
  const stats: PoolStats[] = [];
  let log: string[] = [];
  const started: number[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const fleet = slotFleet(cold, scheduler, dieAt, freedAt);
    log = fleet.log;
    const stream = envPool(perServer(fleet.server$, fleet.open), { size }).pipe(
      switchMap((pool) => timer(frames).pipe(tap(() => stats.push(pool.stats())))),
      ignoreElements(),
    );
    expectObservable(stream, '^' + '-'.repeat(frames + 10) + '!').toBe('');
    scheduler.flush();
    fleet.servers.forEach((s, k) => s.subscriptions.length > 0 && started.push(k));
  });
  return { log, stats: stats[0], started };
}

describe("envPool over servers it starts: a refusal while a lost session's slot is still held", () => {
  it('is not a lesson: the replacement waits for the slot on the same server (its own backoff), no server is started, the limit stays 2', () => {
    // Size 4 over 2-slot servers: two refusals at start teach the limit, server 1 takes the other two.
    // s0@0 dies at 11, the server holds its slot until 500: the replacement is refused at 11 and
    // waits 200, is refused at 213 and waits 400, and opens at 615 on server 0 (the old code learnt
    // limit 1 at 11 and started server 2 for it).
    const { log, stats, started } = run(4, 10, 500, 1000);
    expect(log).toEqual(['1 opened s0@0', '1 opened s1@0', '1 refused s2@0', '1 refused s3@0', '4 opened s0@1', '4 opened s1@1', '11 refused s4@0', '213 refused s5@0', '615 opened s6@0']);
    expect(started).toEqual([0, 1]);
    expect(stats).toMatchObject({ size: 4, refusals: 4, failed: 1, servers: [{ sessions: 2, limit: 2 }, { sessions: 2, limit: 2 }] });
  });

  it(`is taken as a lesson after ${STALE_SLOT_RETRIES} waits in a row (a slot the server never frees): then another server is started`, () => {
    // Waits of 200, 400, 800, 1600, 3200 and 5000 frames after the refusal at 11: the 7th refusal
    // (at 11 211 + 6 frames of re-opening) teaches limit 1 and server 2 starts for the session.
    const { log, stats, started } = run(4, 10, Infinity, 12_000);
    const refusedAfterLoss = log.filter((l) => / refused s\d+@0$/.test(l) && !l.startsWith('1 '));
    expect(refusedAfterLoss).toHaveLength(STALE_SLOT_RETRIES + 1);
    expect(started).toEqual([0, 1, 2]);
    expect(log.at(-1)).toMatch(/^112\d\d opened s0@2$/);
    expect(stats).toMatchObject({ size: 4, servers: [{ sessions: 1, limit: 1 }, { sessions: 2, limit: 2 }, { sessions: 1, limit: 2 }] });
  });
});
