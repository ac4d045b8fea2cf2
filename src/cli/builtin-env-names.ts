/**
 * The names of the built-in envs (`builtinEnvs`' keys), for help texts: listing them from
 * `builtinEnvs` itself would load every env (and zod) on `--help`. A spec pins the two together.
 */
export const BUILTIN_ENV_NAMES: readonly string[] = ['echo', 'echo_mcp', 'grid_world', 'cartpole', 'frozen_lake', 'frozen_lake_deterministic'];
