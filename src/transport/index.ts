export * from './transport.js';
export { openTransport, probeTransportKind } from './open-transport.js';
export { openHttpTransport } from './http-transport.js';
export { openWsTransport } from './ws-transport.js';
export { wsUrlFor } from './ws-url.js';
export { ReplyPhaseWrites } from './reply-phase-writes.js';
export { taskApi, type TaskApi } from './task-api.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_REPLY_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_KEEPALIVE,
  resolveTransportOptions,
  type ResolvedTransportOptions,
} from './transport-options.js';
