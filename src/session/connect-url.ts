import type { Observable } from 'rxjs';
import { defineEnv } from './define-env.js';
import type { JsonObject } from './env-spec.js';
import type { ConnectOptions, EnvSession } from './types.js';

/**
 * An untyped session on a running server: actions, observations and state are plain JSON objects
 * (only checked to be objects). Use `defineEnv` to get typed, validated sessions. Named apart from
 * rxjs's own `connect` operator, so both can be imported by name.
 *
 * @example
 * connectUrl('http://127.0.0.1:8000')
 *   .pipe(withSession((env) => env.reset().pipe(concatMap(() => env.step({ message: 'hi' }))))) // an echo server
 *   .subscribe(console.log);
 */
export function connectUrl(url: string, options?: ConnectOptions): Observable<EnvSession<JsonObject, JsonObject, JsonObject>> {
  return defineEnv({ name: 'env' }).connect(url, options);
}
