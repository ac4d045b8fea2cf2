export { envPool, type EnvPool, type PoolStats } from './env-pool.js';
export type { EnvPoolOptions } from './pool-options.js';
export { perServer, type PerServer, type PoolSource } from './pool-source.js';
export { vectorEnv } from './vector-env.js';
export type * from './vector-types.js';
export { perSwarmService, type OpensEndpoints } from './per-swarm-service.js';
