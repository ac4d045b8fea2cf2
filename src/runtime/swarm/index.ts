export { swarmEndpoint, swarmSession, generateServiceToken, type SwarmEndpoint } from './swarm-endpoint.js';
export type { SwarmEndpointOptions, SwarmNodeInfo, SwarmResources } from './swarm-endpoint-options.js';
export { reapOrphanServices, type ServiceReapResult } from './service-reaper.js';
export { waitWsHandshake, type WaitWsHandshakeOptions } from './wait-ws-handshake.js';
