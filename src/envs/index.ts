import type { AnyEnvDefinition } from '../environment/environment.js';
import { cartPoleEnv } from './cartpole.js';
import { echoEnv } from './echo.js';
import { echoMcpEnv } from './echo-mcp.js';
import { frozenLakeDeterministicEnv, frozenLakeEnv } from './frozen-lake.js';
import { gridWorldEnv } from './grid-world.js';

export * from './echo.js';
export * from './echo-mcp.js';
export * from './grid-world.js';
export * from './cartpole.js';
export * from './frozen-lake.js';
export { mulberry32, type Random } from '../internal/mulberry32.js';

/**
 * The built-in envs by name (`echo`, `echo_mcp`, `grid_world`, `cartpole`, `frozen_lake`,
 * `frozen_lake_deterministic`), for `serveBuiltin`, the CLI and container images.
 *
 * @example
 * const server = await serve(builtinEnvs['grid_world']!);
 * await server.close();
 */
export const builtinEnvs: Readonly<Record<string, AnyEnvDefinition>> = Object.freeze({
  [echoEnv.name]: echoEnv,
  [echoMcpEnv.name]: echoMcpEnv,
  [gridWorldEnv.name]: gridWorldEnv,
  [cartPoleEnv.name]: cartPoleEnv,
  [frozenLakeEnv.name]: frozenLakeEnv,
  [frozenLakeDeterministicEnv.name]: frozenLakeDeterministicEnv,
});
