export type { ErrorCode } from './error-codes.js';
export * from './openenv-error.js';
export * from './protocol-errors.js';
export * from './connection-errors.js';
export * from './runtime-errors.js';
export * from './usage-errors.js';
export * from './server-errors.js';
export * from './io-errors.js';
