import { defer, ignoreElements, map, merge, switchMap, tap, timer, type Observable } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import type { SubscriptionLog } from 'rxjs/internal/testing/SubscriptionLog';
import { ConnectionError } from '../../src/errors/connection-errors.js';
import { envPool, type EnvPool, type PoolStats } from '../../src/fleet/env-pool.js';
import { vectorEnv } from '../../src/fleet/vector-env.js';
import { fakeSession, type FakeSessionSpec } from '../../src/testing/fake-session.js';
import { newScheduler, type Act, type Obs } from '../episode/episode-fixtures.js';
import { capacity, VALUES, type Fake } from './fleet-fixtures.js';

/** A marble of `n` empty frames, then `then`. */
const frames = (n: number, then: string): string => '-'.repeat(n) + then;

/**
 * One server of a fixed source at `http://<name>`: its k-th connection is `marbles[k]` (`s`: the
 * session `<name><k>`, whose confirming reset answers one frame later unless `specs[k]` says
 * otherwise; `#`: the connection is refused with a `ConnectionError` carrying the server's URL,
 * as `Env.connect` reports ECONNREFUSED).
 */
function server(cold: RunHelpers['cold'], name: string, marbles: string[], specs: Partial<FakeSessionSpec<Act, Obs, unknown>>[] = []) {
  const url = `http://${name}`;
  const refused = new ConnectionError(`connect ECONNREFUSED (${name})`, { url });
  const conns = marbles.map((m, k) => {
    const fake = fakeSession<Act, Obs, unknown>({ cold, name: `${name}${k}`, reset: '-r|', steps: () => '-a|', values: VALUES, ...specs[k] });
    return cold<Fake>(m, { s: { ...fake, url } }, refused);
  });
  let k = 0;
  const session$: Observable<Fake> = defer(() => {
    const conn = conns[k++];
    if (!conn) throw new Error(`${name} was connected more than the ${conns.length} times the test planned`);
    return conn;
  });
  return { conns, session$, refused };
}

/** Each connection of a server was subscribed once, as `marbles` says (the logs are read after the run). */
const expectEach = (expectSubscriptions: RunHelpers['expectSubscriptions'], conns: { subscriptions: SubscriptionLog[] }[], marbles: string[]) => {
  expect(conns).toHaveLength(marbles.length);
  conns.forEach((conn, k) => expectSubscriptions(conn.subscriptions).toBe(marbles[k]!));
};

/** Records `pool.stats()` at each of `at` (frames after the pool emitted) while the pool lives. */
const statsAt = (pool$: Observable<EnvPool<Fake>>, at: number[], into: PoolStats[]) =>
  pool$.pipe(switchMap((pool) => merge(...at.map((t) => timer(t).pipe(tap(() => into.push(pool.stats())))))), ignoreElements());

describe('envPool over a fixed list of servers: quarantine, re-probe, give-up', () => {
  it('places sessions lost on a dead server where capacity remains at once, quarantines the dead one on its own backoff, re-probes it with one trial, and re-admits it', () => {
    const stats: PoolStats[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      // A's two sessions die at 5 (SIGKILL); A then refuses twice and answers again on its third probe.
      const a = server(cold, 'a', ['-s---#', '-s---#', '#', '#', '-s']);
      const b = server(cold, 'b', ['-s', '-s']);
      const pool$ = envPool([a.session$, b.session$], { size: 3, sessionsPerServer: 2, backoff: { initialMs: 10 } });
      expectObservable(statsAt(pool$, [18, 38], stats), frames(50, '!')).toBe('');
      // 0: a0, a1 on A (first with room), b0 on B; confirmed at 2. At 5 both A sessions die: the
      // first is replaced on B (healthy, with room) at once; the second goes to A as a lone trial,
      // refused: A is quarantined until 15 (backoff 10), re-probed then (refused: until 35, backoff
      // 20), and re-admitted at 35 when it answers.
      expectEach(expectSubscriptions, a.conns, ['^----!', '^----!', frames(5, '(^!)'), frames(15, '(^!)'), frames(35, '^') + frames(14, '!')]);
      expectEach(expectSubscriptions, b.conns, ['^' + frames(49, '!'), frames(5, '^') + frames(44, '!')]);
    });
    expect(stats).toEqual([
      expect.objectContaining({
        size: 2,
        failed: 2,
        startFailures: 2,
        servers: [
          { label: 'http://a', sessions: 0, limit: 2, state: 'quarantined', lastError: expect.objectContaining({ name: 'ConnectionError', message: expect.stringContaining('ECONNREFUSED (a)') }) },
          { label: 'http://b', sessions: 2, limit: 2, state: 'up' },
        ],
      }),
      expect.objectContaining({ size: 3, startFailures: 2, started: 5, servers: [expect.objectContaining({ label: 'http://a', sessions: 1, state: 'up' }), expect.objectContaining({ sessions: 2 })] }),
    ]);
  });

  it('with no session open, re-probes each server on its own backoff and errors after `unplaceableTimeoutMs` (not before) with PoolUnplaceableError naming every server and its cause', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      // A refuses at once (a closed port); B takes a frame to refuse. Each doubles its own backoff.
      const a = server(cold, 'a', ['#', '#', '#', '#']);
      const b = server(cold, 'b', ['-#', '-#', '-#', '-#']);
      const pool$ = envPool([a.session$, b.session$], { size: 1, backoff: { initialMs: 10 }, unplaceableTimeoutMs: 100 });
      expectObservable(pool$).toBe(
        frames(100, '#'),
        undefined,
        expect.objectContaining({
          name: 'PoolUnplaceableError',
          code: 'ERR_POOL_START',
          waitedMs: 100,
          attempts: 8,
          cause: b.refused,
          servers: [
            { server: 'http://a', cause: a.refused },
            { server: 'http://b', cause: b.refused },
          ],
          message: expect.stringMatching(/^No server could host a session for 100 ms \(8 failed start\(s\)\); http:\/\/a: connect ECONNREFUSED \(a\).*; http:\/\/b: connect ECONNREFUSED \(b\)/),
        }),
      );
      // A: 0, then 0+10, 10+20, 30+40; B: 0..1, then 1+10, 12+20, 33+40. Nothing after the give-up.
      expectEach(expectSubscriptions, a.conns, ['(^!)', frames(10, '(^!)'), frames(30, '(^!)'), frames(70, '(^!)')]);
      expectEach(expectSubscriptions, b.conns, ['^!', frames(11, '^!'), frames(32, '^!'), frames(73, '^!')]);
    });
  });

  it('waits for a quarantined server before its first emission: emits warm when it answers in time, else short after `unplaceableTimeoutMs`', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const options = { size: 2, sessionsPerServer: 1, backoff: { initialMs: 10, maxMs: 10 }, unplaceableTimeoutMs: 50 };
      // A answers on its third try (0, 10, 20: backoff capped at 10): both sessions confirmed at 22.
      const a = server(cold, 'a', ['#', '#', '-s']);
      const b = server(cold, 'b', ['-s']);
      const sizes = (pool$: Observable<EnvPool<Fake>>) => pool$.pipe(map((pool) => pool.stats().size));
      expectObservable(sizes(envPool([a.session$, b.session$], options)), frames(40, '!')).toBe(frames(22, 'n'), { n: 2 });
      expectSubscriptions(a.conns[2]!.subscriptions).toBe(frames(20, '^') + frames(19, '!'));
      // A never answers: the pool emits with B's one session when the 50 frames since A's first failure are up.
      const dead = server(cold, 'a', ['#', '#', '#', '#', '#', '#']);
      const b2 = server(cold, 'b', ['-s']);
      expectObservable(sizes(envPool([dead.session$, b2.session$], options)), frames(55, '!')).toBe(frames(50, 'n'), { n: 1 });
    });
  });

  it('a server whose only slot someone else holds is quarantined and re-probed, not a failure of the pool', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      // a0 is refused with CAPACITY_REACHED at 2 though none of ours is there: quarantined until 12.
      const a = server(cold, 'a', ['-s', '-s'], [{ reset: '-#', error: capacity(1) }]);
      expectObservable(envPool(a.session$, { size: 1, backoff: { initialMs: 10 } }).pipe(map((p) => p.stats().servers[0]!.limit)), frames(20, '!')).toBe(
        frames(14, 'l'),
        { l: undefined },
      );
      expectSubscriptions(a.conns[1]!.subscriptions).toBe(frames(12, '^') + frames(7, '!'));
    });
  });

  it('vectorEnv over a fixed set left short by a dead server errors with the `num` that fits, naming the server that failed', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = server(cold, 'a', ['#', '#', '#']);
      const b = server(cold, 'b', ['-s', '-s'], [{}, { reset: '-#', error: capacity(1) }]);
      // Both sessions go to a first and fail at 0 (a quarantined until 10), then to b, which takes
      // one (its second is refused at 2: limit 1); a's re-probe at 10 fails; short at 15.
      const v$ = vectorEnv([a.session$, b.session$], { num: 2, pool: { backoff: { initialMs: 10 }, unplaceableTimeoutMs: 15 } });
      expectObservable(v$).toBe(
        frames(15, '#'),
        undefined,
        expect.objectContaining({
          name: 'InvalidOptionError',
          option: 'num',
          message: expect.stringContaining('at most 1: the servers of this source accept only 1 session(s) (learned from CAPACITY_REACHED; servers that failed: http://a: connect ECONNREFUSED (a)'),
        }),
      );
      expectSubscriptions(a.conns[2]!.subscriptions).toBe(frames(10, '(^!)'));
    });
  });

  it('rejects a negative or NaN `unplaceableTimeoutMs` (takes Infinity) and a bad `backoff` before starting anything', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold<Fake>('-');
      const invalid = expect.objectContaining({ name: 'InvalidOptionError', option: 'unplaceableTimeoutMs' });
      expectObservable(envPool(source, { size: 1, unplaceableTimeoutMs: -1 })).toBe('#', undefined, invalid);
      expectObservable(envPool(source, { size: 1, unplaceableTimeoutMs: Number.NaN })).toBe('#', undefined, invalid);
      expectObservable(envPool(source, { size: 1, unplaceableTimeoutMs: Infinity }), '^--!').toBe('');
      expectObservable(envPool(source, { size: 1, backoff: { factor: 0.5 } })).toBe('#', undefined, expect.objectContaining({ name: 'InvalidOptionError', option: 'backoff.factor' }));
    });
  });
});
