export * from './environment.js';
export * from './tools.js';
export { defineToolEnv, type ToolEnvSpec, type ToolEnvDefinition } from './define-tool-env.js';
export { ToolEnvironment, type McpStepAction, type ToolResetContext, type ToolResetHook } from './tool-environment.js';
export { buildToolCatalog, openEnvToolResult, type CatalogEntry } from './tool-catalog.js';
