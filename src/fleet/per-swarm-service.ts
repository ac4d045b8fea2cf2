import { of, switchMap, type Observable } from 'rxjs';
import { InvalidOptionError } from '../errors/usage-errors.js';
import type { Endpoint } from '../runtime/endpoint.js';
import { swarmEndpoint } from '../runtime/lazy-runtimes.js';
import type { SwarmEndpoint } from '../runtime/swarm/swarm-endpoint.js';
import type { SwarmEndpointOptions } from '../runtime/swarm/swarm-endpoint-options.js';
import type { ConnectOptions } from '../session/types.js';
import { perServer, type PerServer } from './pool-source.js';

/** What `perSwarmService` needs of an env definition: sessions on an endpoint it is given. */
export interface OpensEndpoints<S> {
  /** Sessions on the server `endpoint$` emits (`EnvDefinition.fromEndpoint`). */
  fromEndpoint(endpoint$: Observable<Endpoint>, options?: ConnectOptions): Observable<S>;
}

/**
 * Swarm services that each hold SEVERAL sessions, for `envPool`: `perServer` over
 * `swarmEndpoint(image, options)`, whose sessions send the bearer token of the service they are on
 * (every service gets its own unless `token` is given). The pool packs sessions onto a service up
 * to its capacity (`sessionsPerServer`, or learned from the first CAPACITY_REACHED refusal) and
 * creates another service when all are full; Swarm's scheduler places each service. A task that
 * dies takes all its sessions with it: each errors its lease and is replaced on a new service.
 *
 * For one session per service (pinned, a dead task loses one episode), pool
 * `Env.fromSwarmService(image, options)` itself.
 *
 * @example
 * // 8 sessions on 2 services of a server that accepts 4 sessions each.
 * envPool(perSwarmService(Echo, image, { env: { OPENENV_ENV: 'echo', MAX_CONCURRENT_ENVS: '4' } }), { size: 8 }) // image: e.g. 'registry.example/envs:1.2'
 *   .pipe(withSession((pool) => pool.session().pipe(withSession((env) => env.episode(policy, { maxSteps: 10 })))))
 *   .subscribe(console.log);
 */
export function perSwarmService<S>(definition: OpensEndpoints<S>, image: string, options: SwarmEndpointOptions & ConnectOptions = {}): PerServer<S> {
  if (typeof (definition as Partial<OpensEndpoints<S>> | undefined)?.fromEndpoint !== 'function') {
    throw new InvalidOptionError('definition', definition, 'an env definition (defineEnv(...)) with fromEndpoint');
  }
  // The image and options are checked on subscribe (the runtime is cold); the headers come from
  // the endpoint because the token is chosen per service when the service is created.
  return perServer(swarmEndpoint(image, options), (endpoint$) =>
    endpoint$.pipe(
      switchMap((endpoint) =>
        definition.fromEndpoint(of(endpoint), { ...options, headers: { ...options.headers, ...(endpoint as Partial<SwarmEndpoint>).headers } }),
      ),
    ),
  );
}
