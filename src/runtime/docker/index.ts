export { dockerEndpoint } from './docker-endpoint.js';
export type { DockerEndpointOptions } from './docker-endpoint-options.js';
export { reapOrphans, isPidAlive, type ReapOptions, type ReapResult } from './reaper.js';
export { LABEL as CONTAINER_LABELS, MANAGED_FILTER } from './container-labels.js';
export type { PullPolicy, PullProgressEvent } from './pull-image.js';
