export type { Endpoint } from './endpoint.js';
export { urlEndpoint, normalizeServerUrl } from './url-endpoint.js';
export { processEndpoint, type ProcessEndpointOptions } from './process-endpoint.js';
export { waitHealthy, type WaitHealthyOptions } from './wait-healthy.js';
export { awaitRuntimeTeardowns } from './teardown-registry.js';
export type { TeardownErrorHandler } from './report-teardown-error.js';
export * from './docker/index.js';
export { inProcessEndpoint, type InProcessEndpointOptions } from './in-process.js';
