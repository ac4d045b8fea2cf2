/**
 * openenv-rx: OpenEnv environments as RxJS Observables.
 *
 * @example
 * import { defineEnv } from 'openenv-rx';
 * const Echo = defineEnv({ name: 'echo' });
 * Echo.connect('http://127.0.0.1:8000').pipe(switchMap((env) => env.step({ message: 'hi' }))).subscribe(console.log);
 *
 * Plumbing (createSession, tool projections, schema samplers, a PRNG, ...) is not exported here:
 * see CHANGELOG.md.
 */
export * from './session/index.js';
export * from './errors/index.js';
export * from './operators/index.js';
export * from './fleet/index.js';
export * from './policies/index.js';
export * from './tools/index.js';
export * as protocol from './protocol/index.js';
export { openTransport, taskApi, type TaskApi } from './transport/index.js';
export type { KeepaliveOptions, Transport, TransportKind, TransportOptions, WireStepResult } from './transport/index.js';
export type { Endpoint } from './runtime/endpoint.js';
export {
  dockerEndpoint,
  processEndpoint,
  urlEndpoint,
  reapOrphans,
  awaitRuntimeTeardowns,
  type DockerEndpointOptions,
  type ProcessEndpointOptions,
  type ReapOptions,
  type ReapResult,
} from './runtime/index.js';
export { inProcessEndpoint, type InProcessEndpointOptions } from './server/lazy-in-process-endpoint.js';
export {
  swarmEndpoint,
  type SwarmEndpoint,
  type SwarmEndpointOptions,
  type SwarmAddressFamily,
  type SwarmNodeInfo,
  type SwarmResources,
  type ServiceReapResult,
} from './runtime/index.js';
export { runConformance, type CheckResult } from './conformance/index.js';
