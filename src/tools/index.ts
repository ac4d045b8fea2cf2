export * from './tool-types.js';
export { createToolApi, checkToolArguments, type SessionTools, type McpToolSession, type ToolApiDeps } from './tool-api.js';
export { toolStepOutcome, toolRpcOutcome, toolInfos } from './tool-results.js';
