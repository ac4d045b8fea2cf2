import { isObservable, type Observable } from 'rxjs';
import { InvalidOptionError } from '../errors/usage-errors.js';
import type { Endpoint } from '../runtime/endpoint.js';

/**
 * Servers the pool starts itself, with several sessions on each: every subscription of `server$`
 * is one server (a container, a process, an in-process server), held by the pool for as long as
 * sessions live on it; `open(endpoint$)` opens ONE session on such a server (subscribe: connect;
 * unsubscribe: close). The pool packs sessions onto a server up to its capacity before it starts
 * another one, and stops a server once no session is left on it.
 */
export interface PerServer<S> {
  readonly kind: 'per-server';
  readonly server$: Observable<Endpoint>;
  /** Opens one session on a server of `server$` (each subscription: one session). */
  readonly open: (endpoint$: Observable<Endpoint>) => Observable<S>;
}

/**
 * Where a pool gets its sessions:
 * - an `Observable<EnvSession>`: every subscription is one session (`Env.connect(url)`: a socket
 *   to that server; `Env.fromDockerImage(img)`: a container of its own). It counts as ONE server
 *   for capacity learning: refusals cap how many sessions the pool keeps open through it.
 * - an array of them: a fixed set of servers (one source per server, e.g. `urls.map(Env.connect)`),
 *   filled in order, each up to its own capacity.
 * - `perServer(server$, open)`: servers the pool starts as it needs them.
 */
export type PoolSource<S> = Observable<S> | readonly Observable<S>[] | PerServer<S>;

/**
 * Sessions packed onto servers that the pool starts on demand (see `PerServer`).
 *
 * @example
 * // Up to 4 sessions per container; a second container starts only when the first is full.
 * envPool(perServer(dockerEndpoint(image, { env: { MAX_CONCURRENT_ENVS: '4' } }), Echo.fromEndpoint), { size: 8 })
 *   .pipe(withSession((pool) => pool.session().pipe(withSession((env) => env.episode(policy, { maxSteps: 10 })))))
 *   .subscribe(console.log);
 */
export function perServer<S>(server$: Observable<Endpoint>, open: (endpoint$: Observable<Endpoint>) => Observable<S>): PerServer<S> {
  if (!isObservable(server$)) throw new InvalidOptionError('server$', server$, 'an Observable of Endpoint');
  if (typeof open !== 'function') throw new InvalidOptionError('open', open, 'a function (endpoint$) => Observable<session>');
  return { kind: 'per-server', server$, open };
}

/** Checks a `PoolSource` and names what is wrong with it. */
export function assertPoolSource<S>(source: PoolSource<S>): void {
  if (isObservable(source)) return;
  if (Array.isArray(source)) {
    if (source.length === 0) throw new InvalidOptionError('source', source, 'at least one session Observable');
    source.forEach((s: unknown, i) => {
      if (!isObservable(s)) throw new InvalidOptionError(`source[${i}]`, s, 'an Observable of sessions');
    });
    return;
  }
  if ((source as PerServer<S> | undefined)?.kind === 'per-server') return;
  throw new InvalidOptionError('source', source, 'an Observable of sessions, an array of them, or perServer(server$, open)');
}
