import { combineLatest, firstValueFrom, map, switchMap, type Observable, type Subscription } from 'rxjs';
import type { EnvPool } from '../../../src/fleet/env-pool.js';

/** A session of an echo env (the typed echo fixture's, or a spec's own `defineEnv` of it). */
export interface EchoLike {
  readonly url: string;
  reset(): Observable<unknown>;
  step(action: { message: string }): Observable<{ observation: { echoed_message: string } }>;
}

/** Holds the pool `envPool(...)` emits until `close()`; resolves once it is warm. */
export function holdPool<S>(pool$: Observable<EnvPool<S>>): Promise<{ pool: EnvPool<S>; close: () => void }> {
  return new Promise((resolve, reject) => {
    let subscription: Subscription | undefined = undefined;
    subscription = pool$.subscribe({ next: (pool) => resolve({ pool, close: () => subscription?.unsubscribe() }), error: reject });
  });
}

/** `n` leases held at once, each resetting and stepping its session: what each echoed, and its url. */
export function stepAll(pool: EnvPool<EchoLike>, word: string, n: number): Promise<Array<{ echoed: string; url: string }>> {
  return firstValueFrom(
    combineLatest(
      Array.from({ length: n }, (_, i) =>
        pool.session().pipe(switchMap((env) => env.reset().pipe(switchMap(() => env.step({ message: `${word}-${i}` })), map((r) => ({ echoed: r.observation.echoed_message, url: env.url }))))),
      ),
    ),
  );
}

/**
 * Leases one session and reports how the lease ends: `ended` resolves with its error, or
 * 'completed'. `session` is set at once for a warm pool (a warm claim emits synchronously).
 */
export function leaseOne<S>(pool: EnvPool<S>): { session: S | undefined; ended: Promise<unknown> } {
  const lease: { session: S | undefined; ended: Promise<unknown> } = { session: undefined, ended: Promise.resolve() };
  lease.ended = new Promise<unknown>((resolve) => {
    pool.session().subscribe({ next: (env) => (lease.session = env), error: resolve, complete: () => resolve('completed') });
  });
  return lease;
}
