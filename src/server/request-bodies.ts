import { z } from 'zod';
import type { ValidationIssue } from '../protocol/http-messages.js';
import type { EnvResetOptions } from '../environment/environment.js';
import { parseJsonLikePython } from './json-decode-error.js';
import { toPydanticIssues } from '../internal/pydantic-issues.js';
import { DEFAULT_MAX_JSON_DEPTH, jsonTooDeepAt, tooDeepMessage } from '../internal/json-depth.js';

/**
 * OpenEnv's `ResetRequest` as the server validates it (pydantic accepts `null` for optional fields,
 * so `.nullish()`); extra keys are kept and reach the env's reset.
 */
export const ResetBody = z.looseObject({
  seed: z.int().min(0).nullish(),
  episode_id: z.string().max(255).nullish(),
});
export type ResetBody = z.infer<typeof ResetBody>;

/** OpenEnv's `StepRequest`: the action is wrapped in `{action}` over HTTP. */
export const StepBody = z.looseObject({
  action: z.record(z.string(), z.unknown()),
  timeout_s: z.number().gt(0).nullish(),
  request_id: z.string().max(255).nullish(),
});
export type StepBody = z.infer<typeof StepBody>;

export type BodyResult<T> = { ok: true; value: T } | { ok: false; detail: ValidationIssue[] };

/**
 * Decodes and validates an HTTP body as FastAPI would, producing its 422 `detail` on failure:
 * `json_invalid` with Python's character offset, `missing` for an empty required body, and
 * pydantic entries with `loc` starting at `"body"`. JSON nested deeper than `maxDepth` is a
 * `json_invalid` too (checked before parsing: deep nesting would overflow the stack later).
 *
 * @example
 * parseBody(StepBody, Buffer.from('{}'), true)
 * // { ok: false, detail: [{ type: 'missing', loc: ['body', 'action'], msg: 'Field required', input: {} }] }
 */
export function parseBody<T>(schema: z.ZodType<T>, raw: Buffer, required: boolean, maxDepth = DEFAULT_MAX_JSON_DEPTH): BodyResult<T> {
  let value: unknown = {};
  if (raw.length > 0) {
    const text = raw.toString('utf8');
    const deepAt = jsonTooDeepAt(text, maxDepth);
    if (deepAt !== undefined) {
      return { ok: false, detail: [{ type: 'json_invalid', loc: ['body', deepAt], msg: 'JSON decode error', input: {}, ctx: { error: tooDeepMessage(maxDepth, deepAt) } }] };
    }
    const parsed = parseJsonLikePython(text);
    if (!parsed.ok) {
      return {
        ok: false,
        detail: [
          { type: 'json_invalid', loc: ['body', parsed.error.pos], msg: 'JSON decode error', input: {}, ctx: { error: parsed.error.msg } },
        ],
      };
    }
    value = parsed.value;
  } else if (required) {
    return { ok: false, detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, detail: toPydanticIssues(result.error.issues, value, { locPrefix: ['body'], schema }) };
}

/** Wire reset fields → `EnvResetOptions`: `seed`, `episodeId`, and extra keys under their wire names. */
export function toResetOptions(body: ResetBody): EnvResetOptions {
  const { seed, episode_id, ...extra } = body;
  const options: EnvResetOptions = extra;
  if (seed !== null && seed !== undefined) options.seed = seed;
  if (episode_id !== null && episode_id !== undefined) options.episodeId = episode_id;
  return options;
}
