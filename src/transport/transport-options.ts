import type { TransportOptions } from './transport.js';

/** The Python reference client's limits: 10 s connect, 60 s per reply, 100 MiB messages. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REPLY_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

/** `TransportOptions` with every default filled in. */
export interface ResolvedTransportOptions {
  headers: Record<string, string>;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  maxMessageBytes: number;
  perMessageDeflate: boolean;
}

export function resolveTransportOptions(options: TransportOptions = {}): ResolvedTransportOptions {
  return {
    headers: options.headers ?? {},
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    replyTimeoutMs: options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    perMessageDeflate: options.perMessageDeflate ?? false,
  };
}
