import { catchError, concat, defer, ignoreElements, map, of, switchMap, timer, type Observable } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import { CapacityError } from '../../src/errors/protocol-errors.js';
import type { EnvPool } from '../../src/fleet/env-pool.js';
import { withSession } from '../../src/operators/with-session.js';
import { fakeSession, type FakeSession, type FakeSessionSpec } from '../../src/testing/fake-session.js';
import type { Act, Obs } from '../episode/episode-fixtures.js';

export type Fake = FakeSession<Act, Obs, unknown>;
type Spec = Partial<FakeSessionSpec<Act, Obs, unknown>>;

/** Observations used by the fleet specs: `r`/`q`/`p` are reset answers, `a`..`f` step answers. */
export const VALUES: FakeSessionSpec<Act, Obs, unknown>['values'] = {
  r: { observation: { x: 0 } },
  q: { observation: { x: 10 } },
  p: { observation: { x: 20 } },
  a: { observation: { x: 1 }, reward: 1 },
  b: { observation: { x: 2 }, reward: 2, done: true },
  c: { observation: { x: 3 }, reward: 3 },
  d: { observation: { x: 4 }, reward: 4 },
};

export const capacity = (max = 1): CapacityError =>
  new CapacityError(`Server at capacity: ${max}/${max} sessions active`, { active_sessions: max, max_sessions: max });

/**
 * A session Observable whose k-th subscription is `conns[k]`, a cold Observable emitting the fake
 * session named `s<k>` where its marble has `s` (and erroring with `error` at `#`). Each fake
 * answers resets with `-r|` and steps with `-a|` unless `specs[k]` says otherwise.
 */
export function sessionSource(cold: RunHelpers['cold'], marbles: string[], specs: Spec[] = [], error: unknown = new Error('session died')) {
  const fakes: Fake[] = marbles.map((_, k) =>
    fakeSession<Act, Obs, unknown>({ cold, name: `s${k}`, reset: '-r|', steps: () => '-a|', values: VALUES, ...specs[k] }),
  );
  const conns = marbles.map((m, k) => cold<Fake>(m, { s: fakes[k]! }, error));
  let k = 0;
  const session$: Observable<Fake> = defer(() => {
    const conn = conns[k++];
    if (!conn) throw new Error(`session$ subscribed more than the ${conns.length} times the test planned`);
    return conn;
  });
  return { fakes, conns, session$ };
}

/**
 * A lease claimed `at` frames after the pool emitted and returned `frames` frames after it was
 * served: emits the session's name when served, `x` if the lease errors.
 */
export function lease(pool: EnvPool<Fake>, at: number, frames: number): Observable<string> {
  return timer(at).pipe(
    switchMap(() =>
      pool.session().pipe(
        withSession((s) => concat(of(s.name), timer(frames).pipe(ignoreElements()))),
        catchError(() => of('x')),
      ),
    ),
  );
}

/** The lease's error itself (for checking its type), emitted as a value. */
export function leaseError(pool: EnvPool<Fake>, at: number): Observable<unknown> {
  return timer(at).pipe(
    switchMap(() => pool.session().pipe(map(() => 'served' as unknown), catchError((error: unknown) => of(error)))),
  );
}
