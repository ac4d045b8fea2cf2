// Light on purpose (the main entry re-exports it): runtimes load on first subscribe, see lazy-runtimes.ts.
export type { Endpoint } from './endpoint.js';
export { urlEndpoint, normalizeServerUrl } from './url-endpoint.js';
export { dockerEndpoint, processEndpoint, swarmEndpoint, reapOrphans } from './lazy-runtimes.js';
export type { SwarmEndpoint } from './swarm/swarm-endpoint.js';
export type { SwarmEndpointOptions, SwarmNodeInfo, SwarmResources } from './swarm/swarm-endpoint-options.js';
export type { SwarmAddressFamily } from './swarm/swarm-task.js';
export type { ServiceReapResult } from './swarm/service-reaper.js';
export type { ProcessEndpointOptions } from './process-endpoint.js';
export type { DockerEndpointOptions } from './docker/docker-endpoint-options.js';
export type { PullPolicy, PullProgressEvent } from './docker/pull-image.js';
export type { ReapOptions, ReapResult, ReapKindResult } from './reaper/reap-result.js';
export { LABEL as CONTAINER_LABELS, MANAGED_FILTER } from './docker/container-labels.js';
export { isPidAlive } from './reaper/process-identity.js';
export { waitHealthy, type WaitHealthyOptions } from './wait-healthy.js';
export { awaitRuntimeTeardowns } from './teardown-registry.js';
export type { TeardownErrorHandler } from './report-teardown-error.js';
