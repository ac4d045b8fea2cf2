import { catchError, defer, finalize, ignoreElements, map, merge, of, switchMap, take, tap, timer, type Observable } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import { PoolClosedError, PoolQueueFullError } from '../../src/errors/fleet-errors.js';
import { envPool, type EnvPool, type PoolStats } from '../../src/fleet/env-pool.js';
import { perServer } from '../../src/fleet/pool-source.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { withSession } from '../../src/operators/with-session.js';
import { fakeSession } from '../../src/testing/fake-session.js';
import { newScheduler, type Act, type Obs } from '../episode/episode-fixtures.js';
import { capacity, lease, leaseError, sessionSource, VALUES, type Fake } from './fleet-fixtures.js';

/** A marble of `n` empty frames, then `then` (for timelines too long to count dashes). */
const frames = (n: number, then: string): string => '-'.repeat(n) + then;

/** Runs `leases(pool)` once the pool emitted; the pool lives as long as the returned stream. */
const withPool = (pool$: Observable<EnvPool<Fake>>, leases: (pool: EnvPool<Fake>) => Observable<unknown>[], keep?: (pool: EnvPool<Fake>) => void) =>
  pool$.pipe(
    tap((pool) => keep?.(pool)),
    switchMap((pool) => merge(...leases(pool))),
  );

describe('envPool lease lifecycle', () => {
  it('emits once `size` sessions are confirmed; a warm claim is served in the same frame; a returned session is reused as is', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, fakes, session$ } = sessionSource(cold, ['-s', '-s']);
      // The pool's own proof of acceptance is the first reset ('-r|'): session at 1, confirmed at 2.
      expectObservable(envPool(session$, { size: 1 }).pipe(map(() => 'p'))).toBe('--p');
      // A claims at 3 (warm: served at 3) and returns it at 5; B claimed at 3 waits for it.
      const { session$: session2$, conns: conns2, fakes: fakes2 } = sessionSource(cold, ['-s', '-s']);
      expectObservable(withPool(envPool(session2$, { size: 1 }), (pool) => [lease(pool, 1, 2), lease(pool, 1, 3)]), '^---------!').toBe(
        '---a-a',
        { a: 's0' },
      );
      expectSubscriptions(conns2[0]!.subscriptions).toBe('^---------!');
      expectSubscriptions(conns2[1]!.subscriptions).toBe([]);
      // Reused without a reset by the pool: only the confirming reset was sent.
      expectSubscriptions(fakes2[0]!.resetSubscriptions).toBe('-^!');
      expectSubscriptions(conns[0]!.subscriptions).toBe('^');
      expectSubscriptions(fakes[1]!.resetSubscriptions).toBe([]);
    });
  });

  it('discards a session that fails while leased: its lease errors, a replacement starts at once and serves the next lease', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = sessionSource(cold, ['-s--#', '-s']);
      const stream = withPool(envPool(session$, { size: 1 }), (pool) => [lease(pool, 1, 10), lease(pool, 3, 5)]);
      expectObservable(stream, '^---------!').toBe('---ax-b', { a: 's0', x: 'x', b: 's1' });
      expectSubscriptions(conns[0]!.subscriptions).toBe('^---!');
      expectSubscriptions(conns[1]!.subscriptions).toBe('----^-----!');
    });
  });

  it('replaces a session that fails while idle, and one discarded by the lessee when its lease ends', () => {
    const stats: PoolStats[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = sessionSource(cold, ['-s-#', '-s', '-s']);
      const discarding = (p: EnvPool<Fake>) =>
        timer(3).pipe(switchMap(() => p.session().pipe(withSession((s) => (p.discard(s), merge(of(s.name), timer(2).pipe(map(() => 'r'))))))));
      const stream = withPool(envPool(session$, { size: 1 }), (p) => [discarding(p), statsAt(p, 6, stats)]);
      // s0 dies idle at 3 → s1 (4, confirmed 5 → served to the lease waiting since 5); it is
      // discarded, returned at 7, closed, and s2 starts at 7.
      expectObservable(stream, '^---------!').toBe('-----a-r', { a: 's1', r: 'r' });
      expectSubscriptions(conns[0]!.subscriptions).toBe('^--!');
      expectSubscriptions(conns[1]!.subscriptions).toBe('---^---!');
      expectSubscriptions(conns[2]!.subscriptions).toBe('-------^--!');
    });
    expect(stats).toEqual([expect.objectContaining({ size: 1, idle: 0, leased: 0, starting: 1, failed: 1, started: 2 })]);
  });

  it('evicts idle sessions above `min` after `idleTimeoutMs`; a claim in time keeps one (LIFO: the last returned)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = sessionSource(cold, ['-s', '-s']);
      const pool$ = envPool(session$, { min: 0, max: 2, idleTimeoutMs: 4 });
      // min 0: the pool emits at 0. A (held 2) and B (held 4) claim at 1: two sessions start,
      // both served at 3. s0 idles at 5 (evicted at 9); s1 idles at 7, is claimed by C at 8 and
      // returned at 10, then evicted at 14.
      const stream = withPool(pool$, (pool) => [lease(pool, 1, 2), lease(pool, 1, 4), lease(pool, 8, 2)]);
      expectObservable(stream, '^-----------------!').toBe('---(ab)-b', { a: 's0', b: 's1' });
      expectSubscriptions(conns[0]!.subscriptions).toBe('-^-------!');
      expectSubscriptions(conns[1]!.subscriptions).toBe('-^------------!');
    });
  });

  it('errors a claim past `maxWaiting` with PoolQueueFullError at once; the waiting claim is served later', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { session$ } = sessionSource(cold, ['-s']);
      const stream = withPool(envPool(session$, { size: 1, maxWaiting: 1 }), (pool) => [lease(pool, 1, 10), lease(pool, 1, 1), leaseError(pool, 1)]);
      expectObservable(stream, '^---------------!').toBe('---(ae)------a', {
        a: 's0',
        e: expect.objectContaining({ name: 'PoolQueueFullError', code: 'ERR_POOL_QUEUE_FULL', waiting: 1, maxWaiting: 1 }),
      });
      // maxWaiting 0 fails fast, but only once nothing can start for the claim.
      const { session$: fast$ } = sessionSource(cold, ['-s']);
      expectObservable(withPool(envPool(fast$, { size: 1, maxWaiting: 0 }), (pool) => [lease(pool, 1, 5), leaseError(pool, 1)]), '^-------!').toBe(
        '---(ae)',
        { a: 's0', e: expect.any(PoolQueueFullError) },
      );
    });
  });

  it('errors leases with PoolClosedError once the pool is unsubscribed, after closing its sessions', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = sessionSource(cold, ['-s']);
      const pools: EnvPool<Fake>[] = [];
      expectObservable(envPool(session$, { size: 1 }).pipe(take(1), map((p) => (pools.push(p), 'p')))).toBe('--(p|)');
      expectSubscriptions(conns[0]!.subscriptions).toBe('^-!');
      const late$ = timer(5).pipe(switchMap(() => defer(() => pools[0]!.session()).pipe(catchError((error: unknown) => of(error)))));
      expectObservable(late$).toBe('-----(e|)', { e: expect.any(PoolClosedError) });
    });
  });

  it('retries failed starts after a backoff and errors with PoolUnplaceableError (a PoolStartError) once none opened for `unplaceableTimeoutMs`, having started nothing lasting', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = sessionSource(cold, ['-#', '-#', '-#'], [], new Error('image not found'));
      // Fails at 1, retried at 1+10; fails at 12, retried at 12+20; fails at 33; gives up 40 after the first failure.
      expectObservable(envPool(session$, { size: 1, backoff: { initialMs: 10 }, unplaceableTimeoutMs: 40 })).toBe(
        frames(41, '#'),
        undefined,
        expect.objectContaining({ name: 'PoolUnplaceableError', code: 'ERR_POOL_START', attempts: 3, cause: new Error('image not found') }),
      );
      expectSubscriptions(conns[0]!.subscriptions).toBe('^!');
      expectSubscriptions(conns[1]!.subscriptions).toBe(frames(11, '^!'));
      expectSubscriptions(conns[2]!.subscriptions).toBe(frames(32, '^!'));
    });
  });

  it('waits while session$ never emits (unsubscribing cancels it); a session$ completing empty is a failed start', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const never = cold<Fake>('-');
      expectObservable(envPool(never, { size: 1 }), '^---!').toBe('-----');
      expectSubscriptions(never.subscriptions).toBe('^---!');
      expectObservable(envPool(cold<Fake>('--|'), { size: 1, unplaceableTimeoutMs: 0 })).toBe(
        '--#',
        undefined,
        expect.objectContaining({ name: 'PoolUnplaceableError', cause: expect.objectContaining({ name: 'SessionStateError' }) }),
      );
    });
  });

  it('rejects bad options with an InvalidOptionError naming the field, before starting anything', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<Fake>('-');
      const invalid = (option: string) => expect.objectContaining({ name: 'InvalidOptionError', option });
      expectObservable(envPool(source, {})).toBe('#', undefined, invalid('size'));
      expectObservable(envPool(source, { size: 0 })).toBe('#', undefined, invalid('size'));
      expectObservable(envPool(source, { min: 3, max: 2 })).toBe('#', undefined, invalid('min'));
      expectObservable(envPool(source, { size: 1, maxWaiting: -1 })).toBe('#', undefined, invalid('maxWaiting'));
      expectObservable(envPool(source, { size: 1, reprobeMs: -1 })).toBe('#', undefined, invalid('reprobeMs'));
      expectObservable(envPool(source, { size: 1, reprobeMs: Number.NaN })).toBe('#', undefined, invalid('reprobeMs'));
      expectObservable(envPool([] as Observable<Fake>[], { size: 1 })).toBe('#', undefined, invalid('source'));
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });
});

describe('envPool capacity learning', () => {
  it('absorbs a CAPACITY_REACHED refusal: learns the limit, never surfaces it, and serves the claim when a session frees up', () => {
    const stats: PoolStats[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      // s1 is refused: its confirming reset fails with CAPACITY_REACHED (as the /ws refusal does).
      const { conns, session$ } = sessionSource(cold, ['-s', '-s', '-s'], [{}, { reset: '-#', error: capacity(1) }]);
      const stream = withPool(envPool(session$, { min: 1, max: 2 }), (p) => [lease(p, 1, 6), lease(p, 1, 1), lease(p, 9, 1), statsAt(p, 5, stats)]);
      // A: s0 at 3..9. B claims at 3: s1 starts, is refused at 5 (limit 1 learned), B waits for s0 (9).
      // C at 11 gets s0 again: the pool does not probe the full server a second time.
      expectObservable(stream, '^------------!').toBe('---a-----a-a', { a: 's0' });
      expectSubscriptions(conns[1]!.subscriptions).toBe('---^-!');
      expectSubscriptions(conns[2]!.subscriptions).toBe([]);
    });
    expect(stats).toEqual([
      expect.objectContaining({ size: 1, leased: 1, waiting: 1, refusals: 1, startFailures: 0, servers: [{ label: 'fake://session', sessions: 1, limit: 1, state: 'up' }] }),
    ]);
  });

  it('tries a learnt limit again `reprobeMs` after the lesson while a lease waits: refused, it waits as long again; accepted, the limit grows', () => {
    const stats: PoolStats[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      // Someone else holds a slot at first: s1 and s2 are refused, s3 (after they left) is accepted.
      const refusal = { reset: '-#', error: capacity(1) };
      const { conns, session$ } = sessionSource(cold, ['-s', '-s', '-s', '-s'], [{}, refusal, refusal]);
      const pool$ = envPool(session$, { min: 1, max: 2, reprobeMs: 10 });
      const stream = withPool(pool$, (p) => [lease(p, 1, 40), lease(p, 1, 1), statsAt(p, 20, stats), statsAt(p, 35, stats)]);
      // A: s0 at 3. B claims at 3: s1 refused at 5 (limit 1). Probe at 15: s2 refused at 17.
      // Probe at 27: s3 confirmed at 29 serves B.
      expectObservable(stream, frames(45, '!')).toBe(frames(3, 'a') + frames(25, 'b'), { a: 's0', b: 's3' });
      expectSubscriptions(conns[1]!.subscriptions).toBe('---^-!');
      expectSubscriptions(conns[2]!.subscriptions).toBe(frames(15, '^-!'));
      expectSubscriptions(conns[3]!.subscriptions).toBe(frames(27, '^') + frames(17, '!'));
    });
    expect(stats).toEqual([
      expect.objectContaining({ size: 1, waiting: 1, refusals: 2, servers: [expect.objectContaining({ sessions: 1, limit: 1 })] }),
      expect.objectContaining({ size: 2, waiting: 0, refusals: 2, servers: [expect.objectContaining({ sessions: 2, limit: 2 })] }),
    ]);
  });

  it('never tries a learnt limit again with `reprobeMs: Infinity`, nor when nothing waits', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const refusal = { reset: '-#', error: capacity(1) };
      const never = sessionSource(cold, ['-s', '-s', '-s'], [{}, refusal]);
      const waiting = withPool(envPool(never.session$, { min: 1, max: 2, reprobeMs: Infinity }), (p) => [lease(p, 1, 60), lease(p, 1, 1)]);
      // B waits for A's return (63): no probe in between.
      expectObservable(waiting, frames(70, '!')).toBe(frames(3, 'a') + frames(59, 'a'), { a: 's0' });
      expectSubscriptions(never.conns[2]!.subscriptions).toBe([]);

      // The lease that waited is served at 9 by s0's return: at 15 nothing wants a session more.
      const idle = sessionSource(cold, ['-s', '-s', '-s'], [{}, refusal]);
      const served = withPool(envPool(idle.session$, { min: 1, max: 2, reprobeMs: 10 }), (p) => [lease(p, 1, 6), lease(p, 1, 1)]);
      expectObservable(served, frames(70, '!')).toBe('---a-----a', { a: 's0' });
      expectSubscriptions(idle.conns[2]!.subscriptions).toBe([]);
    });
  });

  it('packs sessions onto a started server up to the capacity a refusal reports, then starts another', () => {
    const stats: PoolStats[] = [];
    let refused: string[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fleet = fakeFleet(cold, 2);
      // Server 0 up at 1; four sessions opened on it at 1, confirmed or refused at 3 (max_sessions 2):
      // two re-placed onto server 1 (started at 3, up at 4, sessions confirmed at 6).
      const pool$ = envPool(perServer(fleet.server$, fleet.open), { size: 4 });
      expectObservable(withPool(pool$, (p) => [of('p'), statsAt(p, 0, stats)])).toBe('------p');
      expectSubscriptions(fleet.servers[0]!.subscriptions).toBe('^');
      expectSubscriptions(fleet.servers[1]!.subscriptions).toBe('---^');
      expectSubscriptions(fleet.servers[2]!.subscriptions).toBe([]);
      refused = fleet.refused;
    });
    expect(refused).toEqual(['s2@0', 's3@0']);
    expect(stats).toEqual([
      expect.objectContaining({
        size: 4,
        idle: 4,
        refusals: 2,
        servers: [
          { label: 'http://server-0', sessions: 2, limit: 2, state: 'up' },
          { label: 'http://server-1', sessions: 2, limit: 2, state: 'up' },
        ],
      }),
    ]);
  });

  it('with `sessionsPerServer`, starts the servers it needs at once and never probes', () => {
    let refused: string[] = ['not run'];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fleet = fakeFleet(cold, 2);
      expectObservable(envPool(perServer(fleet.server$, fleet.open), { size: 4, sessionsPerServer: 2 }).pipe(map(() => 'p'))).toBe('---p');
      expectSubscriptions(fleet.servers[0]!.subscriptions).toBe('^');
      expectSubscriptions(fleet.servers[1]!.subscriptions).toBe('^');
      refused = fleet.refused;
    });
    expect(refused).toEqual([]);
  });

  it('retries a server that fails to start, then errors with PoolStartError (also when it fails synchronously)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const open = () => cold<Fake>('-');
      const failing = cold<Endpoint>('-#', undefined, new Error('no such image'));
      const pool$ = envPool(perServer(failing, open), { size: 2, startRetries: 1, backoff: { initialMs: 10 } });
      // Fails at 1 (both sessions were waiting on it: one round), retried at 11, fails at 12.
      expectObservable(pool$).toBe('------------#', undefined, expect.objectContaining({ name: 'PoolStartError', attempts: 2 }));
      expectSubscriptions(failing.subscriptions).toBe(['^!', '-----------^!']);
      const sync$ = defer(() => {
        throw new Error('no engine');
      }) as Observable<Endpoint>;
      expectObservable(envPool(perServer(sync$, open), { size: 1, startRetries: 0 })).toBe(
        '#',
        undefined,
        expect.objectContaining({ name: 'PoolStartError', cause: new Error('no engine') }),
      );
    });
  });

  it('closes every session before stopping the server it runs on, and stops a server once it has no session left', () => {
    const log: string[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const fleet = fakeFleet(cold, 2, log);
      const stream = withPool(envPool(perServer(fleet.server$, fleet.open), { min: 0, max: 2, idleTimeoutMs: 3 }), (pool) => [lease(pool, 1, 2)]);
      // One session on server 0 (1: started, up at 2, session at 3, confirmed at 4), returned at 6,
      // evicted at 9: the server goes with it.
      expectObservable(stream, '^-----------!').toBe('----a', { a: 's0@0' });
      expectSubscriptions(fleet.servers[0]!.subscriptions).toBe('-^-------!');
    });
    expect(log).toEqual(['session s0@0 closed', 'server 0 stopped']);
  });
});

/**
 * Started servers for `perServer`: the k-th subscription of `server$` is server k (up one frame
 * later); each accepts `max` sessions and refuses the next ones with CAPACITY_REACHED (reported
 * max_sessions = max) on their confirming reset.
 */
function fakeFleet(cold: RunHelpers['cold'], max: number, log: string[] = []) {
  const servers = Array.from({ length: 3 }, (_, k) => cold<Endpoint>('-e', { e: { url: `http://server-${k}`, kind: 'process' } }));
  let next = 0;
  const opened = new Map<string, number>();
  const refused: string[] = [];
  const server$ = defer(() => {
    const k = next++;
    return servers[k]!.pipe(finalize(() => log.push(`server ${k} stopped`)));
  });
  const open = (endpoint$: Observable<Endpoint>): Observable<Fake> =>
    endpoint$.pipe(
      switchMap((endpoint) => {
        const k = endpoint.url.slice(-1);
        const n = opened.get(k) ?? 0;
        opened.set(k, n + 1);
        const name = `s${n}@${k}`;
        const full = n >= max;
        if (full) refused.push(name);
        const fake = fakeSession<Act, Obs, unknown>({ cold, name, reset: full ? '-#' : '-r|', steps: () => '-a|', values: VALUES, error: capacity(max) });
        return cold<Fake>('-s', { s: fake }).pipe(finalize(() => log.push(`session ${name} closed`)));
      }),
    );
  return { servers, server$, open, refused };
}

/** Records `pool.stats()` at frame `at` (relative to the pool's emission). */
const statsAt = (pool: EnvPool<Fake>, at: number, into: PoolStats[]) =>
  timer(at).pipe(
    tap(() => into.push(pool.stats())),
    ignoreElements(),
  );
