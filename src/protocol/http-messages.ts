import { z } from 'zod';

/** `GET /health`. Servers only ever send "healthy", but the enum documents the other states. */
export const HealthResponse = z.object({ status: z.enum(['healthy', 'unhealthy', 'degraded']) }).loose();
export type HealthResponse = z.infer<typeof HealthResponse>;

/** `GET /metadata` (generation B+). Only name and description are required. */
export const MetadataResponse = z
  .object({
    name: z.string(),
    description: z.string(),
    readme_content: z.string().nullish(),
    version: z.string().nullish(),
    author: z.string().nullish(),
    documentation_url: z.string().nullish(),
  })
  .loose();
export type MetadataResponse = z.infer<typeof MetadataResponse>;

const JsonSchemaObject = z.record(z.string(), z.unknown());

/** `GET /schema` (generation B+): pydantic-style JSON Schemas of action, observation and state. */
export const SchemaResponse = z.object({
  action: JsonSchemaObject,
  observation: JsonSchemaObject,
  state: JsonSchemaObject,
});
export type SchemaResponse = z.infer<typeof SchemaResponse>;

/** `POST /reset` body. Extra keys reach the env's reset only if it accepts them. */
export const ResetRequest = z
  .object({
    seed: z.number().int().nonnegative().optional(),
    episode_id: z.string().max(255).optional(),
  })
  .loose();
export type ResetRequest = z.infer<typeof ResetRequest>;

/** `POST /step` body. Over HTTP the action is wrapped in `{action}`; over `/ws` it is not. */
export const StepRequest = z
  .object({
    action: z.record(z.string(), z.unknown()),
    timeout_s: z.number().positive().optional(),
    request_id: z.string().max(255).optional(),
  })
  .loose();
export type StepRequest = z.infer<typeof StepRequest>;

/** Reward as it travels: number, boolean or null (see `normalizeReward`). */
export const WireReward = z.union([z.number(), z.boolean(), z.null()]);

/** The body of a reset or step answer, over HTTP and inside a WS `observation` envelope. */
export const StepResponse = z.object({
  observation: z.record(z.string(), z.unknown()),
  reward: WireReward.optional(),
  done: z.boolean(),
});
export type StepResponse = z.infer<typeof StepResponse>;

/** `GET /state` and the WS `state` envelope: env-specific fields ride along. */
export const StateResponse = z
  .object({
    episode_id: z.string().nullable().optional(),
    step_count: z.number().int().nonnegative(),
  })
  .loose();
export type StateResponse = z.infer<typeof StateResponse>;

/** One entry of a pydantic error list (422 `detail`, WS `VALIDATION_ERROR` `errors`). */
export const ValidationIssue = z
  .object({
    type: z.string(),
    loc: z.array(z.union([z.string(), z.number()])),
    msg: z.string(),
    input: z.unknown().optional(),
    ctx: z.record(z.string(), z.unknown()).optional(),
    url: z.string().optional(),
  })
  .loose();
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** A 422 body: `{"detail": [...]}`. 404/405 send `{"detail": "Not Found"}` instead. */
export const ErrorDetailBody = z.object({ detail: z.union([z.array(ValidationIssue), z.string()]) });
export type ErrorDetailBody = z.infer<typeof ErrorDetailBody>;
