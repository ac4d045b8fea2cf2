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
export const WsErrorCode = z.enum(WS_ERROR_CODES);
export type WsErrorCode = z.infer<typeof WsErrorCode>;

/** Codes after which the server closes the socket; the others keep it open. */
export const WS_FATAL_ERROR_CODES: ReadonlySet<WsErrorCode> = new Set([
  'CAPACITY_REACHED',
  'FACTORY_ERROR',
  'SESSION_ERROR',
]);

// Client → server. Envelopes are strict on real servers: unknown keys are a VALIDATION_ERROR.
export const WsResetMessage = z.strictObject({
  type: z.literal('reset'),
  data: z.record(z.string(), z.unknown()).optional(),
});
/** `data` is the action object itself: no `{action: ...}` wrapper over `/ws`. */
export const WsStepMessage = z.strictObject({ type: z.literal('step'), data: z.record(z.string(), z.unknown()) });
export const WsStateMessage = z.strictObject({ type: z.literal('state') });
export const WsCloseMessage = z.strictObject({ type: z.literal('close') });
export const WsMcpMessage = z.strictObject({ type: z.literal('mcp'), data: z.record(z.string(), z.unknown()) });
export const WsClientMessage = z.discriminatedUnion('type', [
  WsResetMessage,
  WsStepMessage,
  WsStateMessage,
  WsCloseMessage,
  WsMcpMessage,
]);
export type WsClientMessage = z.infer<typeof WsClientMessage>;

// Server → client.
export const WsErrorData = z
  .object({
    message: z.string(),
    code: z.string(),
    errors: z.array(ValidationIssue).optional(),
    active_sessions: z.number().optional(),
    max_sessions: z.number().optional(),
  })
  .loose();
export type WsErrorData = z.infer<typeof WsErrorData>;

export const WsObservationFrame = z.object({ type: z.literal('observation'), data: StepResponse });
export const WsStateFrame = z.object({ type: z.literal('state'), data: StateResponse });
export const WsMcpFrame = z.object({ type: z.literal('mcp'), data: z.record(z.string(), z.unknown()) });
export const WsErrorFrame = z.object({ type: z.literal('error'), data: WsErrorData });
export const WsServerMessage = z.discriminatedUnion('type', [WsObservationFrame, WsStateFrame, WsMcpFrame, WsErrorFrame]);
export type WsServerMessage = z.infer<typeof WsServerMessage>;
