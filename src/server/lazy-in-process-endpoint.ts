import { defer, switchMap, type Observable } from 'rxjs';
import type { AnyEnvDefinition } from '../environment/environment.js';
import type { Endpoint } from '../runtime/endpoint.js';
import type { InProcessEndpointOptions } from './in-process-endpoint.js';

// Light on purpose: the main entry and the CLI import this file; the server loads on first subscribe.

/**
 * A TypeScript env served in this process on 127.0.0.1 for as long as the subscription lasts
 * (see `server/in-process-endpoint.ts`). The server is loaded on the first subscription.
 *
 * @example
 * GridWorld.fromEndpoint(inProcessEndpoint(gridWorldEnv))
 *   .pipe(withSession((env) => env.reset())) // the server stops when the session closes
 *   .subscribe((r) => console.log(r.observation));
 */
export function inProcessEndpoint(definition: AnyEnvDefinition, options: InProcessEndpointOptions = {}): Observable<Endpoint> {
  return defer(() => import('./in-process-endpoint.js')).pipe(switchMap((runtime) => runtime.inProcessEndpoint(definition, options)));
}

export type { InProcessEndpointOptions };
