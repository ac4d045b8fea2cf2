export * from './tool-types.js';
export type { SessionTools, McpToolSession } from './tool-api.js';
