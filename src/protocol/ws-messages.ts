import { z } from 'zod';
import { StepResponse, StateResponse, ValidationIssue } from './http-messages.js';

/** The seven error codes a `/ws` server sends in `{"type":"error"}` frames. */
export const WS_ERROR_CODES = [
  'INVALID_JSON',
  'UNKNOWN_TYPE',
  'VALIDATION_ERROR',
  'EXECUTION_ERROR',
  'CAPACITY_REACHED',
  'FACTORY_ERROR',
  'SESSION_ERROR',
] as const;
/** Schema of the `code` of an error frame: one of `WS_ERROR_CODES`. */
export const WsErrorCode = z.enum(WS_ERROR_CODES);
/** The `code` of an error frame: one of `WS_ERROR_CODES`. */
export type WsErrorCode = z.infer<typeof WsErrorCode>;

/** Codes after which the server closes the socket; the others keep it open. */
export const WS_FATAL_ERROR_CODES: ReadonlySet<WsErrorCode> = new Set([
  'CAPACITY_REACHED',
  'FACTORY_ERROR',
  'SESSION_ERROR',
]);

// Client → server. Envelopes are strict on real servers: unknown keys are a VALIDATION_ERROR.
/** `{"type":"reset","data":{seed?, episode_id?, ...}}`: starts an episode. */
export const WsResetMessage = z.strictObject({
  type: z.literal('reset'),
  data: z.record(z.string(), z.unknown()).optional(),
});
/** `data` is the action object itself: no `{action: ...}` wrapper over `/ws`. */
export const WsStepMessage = z.strictObject({ type: z.literal('step'), data: z.record(z.string(), z.unknown()) });
/** `{"type":"state"}`: asks for the env's state. */
export const WsStateMessage = z.strictObject({ type: z.literal('state') });
/** `{"type":"close"}`: ends the session; the server closes the socket. */
export const WsCloseMessage = z.strictObject({ type: z.literal('close') });
/** `{"type":"mcp","data":<JSON-RPC request>}`: a JSON-RPC call over the socket, answered by an `mcp` frame. */
export const WsMcpMessage = z.strictObject({ type: z.literal('mcp'), data: z.record(z.string(), z.unknown()) });
/** Schema of every message a client sends over `/ws` (strict: unknown keys are refused, as real servers do). */
export const WsClientMessage = z.discriminatedUnion('type', [
  WsResetMessage,
  WsStepMessage,
  WsStateMessage,
  WsCloseMessage,
  WsMcpMessage,
]);
/** A message a client sends over `/ws`. */
export type WsClientMessage = z.infer<typeof WsClientMessage>;

// Server → client.
/** Schema of an error frame's `data`: `message`, `code`, and for capacity refusals `active_sessions`/`max_sessions`. */
export const WsErrorData = z
  .object({
    message: z.string(),
    code: z.string(),
    errors: z.array(ValidationIssue).optional(),
    active_sessions: z.number().optional(),
    max_sessions: z.number().optional(),
  })
  .loose();
/** An error frame's `data`. */
export type WsErrorData = z.infer<typeof WsErrorData>;

/** `{"type":"observation","data":{observation, reward, done}}`: the answer to a reset or a step. */
export const WsObservationFrame = z.object({ type: z.literal('observation'), data: StepResponse });
/** `{"type":"state","data":{episode_id, step_count, ...}}`: the answer to a state request. */
export const WsStateFrame = z.object({ type: z.literal('state'), data: StateResponse });
/** `{"type":"mcp","data":<JSON-RPC response>}`: the answer to an `mcp` message. */
export const WsMcpFrame = z.object({ type: z.literal('mcp'), data: z.record(z.string(), z.unknown()) });
/** `{"type":"error","data":{message, code, ...}}`: a refused or failed request (see `WS_FATAL_ERROR_CODES`). */
export const WsErrorFrame = z.object({ type: z.literal('error'), data: WsErrorData });
/** Schema of every frame a `/ws` server sends. */
export const WsServerMessage = z.discriminatedUnion('type', [WsObservationFrame, WsStateFrame, WsMcpFrame, WsErrorFrame]);
/** A frame a `/ws` server sends. */
export type WsServerMessage = z.infer<typeof WsServerMessage>;
