import { InvalidOptionError } from '../errors/usage-errors.js';
import { assertNumber } from '../internal/assert-option.js';
import { eventLoopWrites, ReplyPhaseWrites } from './reply-phase-writes.js';
import type { TransportOptions } from './transport.js';

/** The Python reference client's limits: 10 s connect, 60 s per reply, 100 MiB messages. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REPLY_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024;
/** The websockets library's (the Python client's) keepalive: a ping after 20 s of silence, 20 s for the pong. */
export const DEFAULT_KEEPALIVE = { intervalMs: 20_000, timeoutMs: 20_000 } as const;

/** `TransportOptions` with every default filled in. */
export interface ResolvedTransportOptions {
  headers: Record<string, string>;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  maxMessageBytes: number;
  perMessageDeflate: boolean;
  /** `false`: no pings. */
  keepalive: { intervalMs: number; timeoutMs: number } | false;
  /** The write policy `/ws` connections share (`batchWrites`), or undefined: every frame at once. */
  writes: ReplyPhaseWrites | undefined;
}

export function resolveTransportOptions(options: TransportOptions = {}): ResolvedTransportOptions {
  return {
    headers: options.headers ?? {},
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    replyTimeoutMs: options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    perMessageDeflate: options.perMessageDeflate ?? false,
    keepalive: resolveKeepalive(options.keepalive),
    writes: resolveWrites(options.batchWrites),
  };
}

/** The write group of `batchWrites`; throws `InvalidOptionError` for anything but a boolean or a `ReplyPhaseWrites`. */
function resolveWrites(option: TransportOptions['batchWrites']): ReplyPhaseWrites | undefined {
  if (option === undefined || option === true) return eventLoopWrites;
  if (option === false) return undefined;
  if (option instanceof ReplyPhaseWrites) return option;
  throw new InvalidOptionError('batchWrites', option, 'a boolean or a ReplyPhaseWrites');
}

/** Throws `InvalidOptionError` naming the field for anything but `false` or positive finite times. */
function resolveKeepalive(option: TransportOptions['keepalive']): ResolvedTransportOptions['keepalive'] {
  if (option === false) return false;
  if (option === undefined) return { ...DEFAULT_KEEPALIVE };
  if (typeof option !== 'object' || option === null) throw new InvalidOptionError('keepalive', option, 'false or { intervalMs?, timeoutMs? }');
  const { intervalMs = DEFAULT_KEEPALIVE.intervalMs, timeoutMs = DEFAULT_KEEPALIVE.timeoutMs } = option;
  assertNumber('keepalive.intervalMs', intervalMs, 1);
  assertNumber('keepalive.timeoutMs', timeoutMs, 1);
  return { intervalMs, timeoutMs };
}
