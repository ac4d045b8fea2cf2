/**
 * openenv-rx: OpenEnv environments as RxJS Observables.
 *
 * Plumbing (createSession, tool projections, schema samplers, a PRNG, ...) is not exported here:
 * see CHANGELOG.md.
 *
 * @example
 * import { defineEnv, withSession } from 'openenv-rx';
 * const Echo = defineEnv({ name: 'echo' });
 * Echo.connect('http://127.0.0.1:8000').pipe(withSession((env) => env.step({ message: 'hi' }))).subscribe(console.log);
 */
export * from './session/index.js';
export * from './errors/index.js';
export * from './operators/index.js';
export * from './fleet/index.js';
export * from './policies/index.js';
export * from './spaces/index.js';
export * from './agents/index.js';
export * from './tools/index.js';
export * as protocol from './protocol/index.js';
export { openTransport, ReplyPhaseWrites, taskApi, type TaskApi } from './transport/index.js';
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
export {
  fromKubernetesPod,
  reapKubernetesPods,
  KUBERNETES_POD_LABELS,
  type KubernetesPodEndpoint,
  type KubernetesPodOptions,
  type KubernetesConnectVia,
  type KubernetesReapOptions,
} from './runtime/index.js';
export { runConformance, type CheckResult } from './conformance/index.js';
// Types that public signatures mention, exported so that users can name them and the API
// reference can link them (TypeDoc's notExported check).
export type { Clock, EpisodeSession } from './session/episode-loop.js';
export type { RunEpisodeOptions } from './session/episode.js';
export type { RunEpisodesOptions } from './session/episodes.js';
export type { ReplaceSessionsOptions } from './operators/rollouts.js';
export type { CollectDataset } from './fleet/collect-dataset.js';
export type { CollectRunStatus } from './fleet/collect-store.js';
export type { EpisodeExtra, EpisodeMetrics } from './fleet/collect-record.js';
export type { ReapKindResult } from './runtime/reaper/reap-result.js';
export type { TeardownErrorHandler } from './runtime/report-teardown-error.js';
export type { PullPolicy, PullProgressEvent } from './runtime/docker/pull-image.js';
export type { ConformanceOptions } from './conformance/run-conformance.js';
export type { WireResetData, WireStepOptions } from './transport/transport.js';
export type { ServeBuiltinOutput } from './server/serve-builtin.js';
