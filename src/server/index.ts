export * from '../environment/index.js';
export { serve, type ServeOptions, type RunningServer } from './serve.js';
export { serveBuiltin, serveOptionsFromEnv, runServeBuiltin } from './serve-builtin.js';
export { ServeError, UnknownEnvError, PayloadTooLargeError } from '../errors/server-errors.js';
export type { ServerErrorInfo } from './server-context.js';
export { buildSchemaResponse, toPydanticJsonSchema } from './schema-response.js';
export { toPydanticIssues, type PydanticIssueOptions } from '../internal/pydantic-issues.js';
export { builtinEnvs, echoEnv, echoMcpEnv, gridWorldEnv, cartPoleEnv, frozenLakeEnv, frozenLakeDeterministicEnv } from '../envs/index.js';
