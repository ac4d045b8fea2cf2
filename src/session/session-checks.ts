import type { z } from 'zod';
import { ActionValidationError, ResponseValidationError } from '../errors/protocol-errors.js';
import type { ErrorContext } from '../errors/openenv-error.js';
import { isPlainRecord, isRecord } from '../internal/is-record.js';
import { checkToolArguments } from '../tools/tool-api.js';
import { JsonObjectSchema, type EnvSpec } from './env-spec.js';

/** What a check needs of its request: the error context, built only when a check fails. */
interface Where {
  readonly context: ErrorContext;
}

/**
 * The session's action check: `spec.action` (or the declared tools' arguments for a `call_tool`
 * action) before anything is sent, then the JSON object the wire carries. A failing action throws
 * `ActionValidationError` / `ToolArgumentsError` and never reaches the server.
 *
 * @example
 * const toWire = actionCheck({ name: 'echo', action: z.object({ message: z.string() }) });
 * toWire({ message: 'hi' }, { context: {} }); // { message: 'hi' }
 */
export function actionCheck<A>(spec: EnvSpec<A, unknown, unknown>): (action: A, where: Where) => Record<string, unknown> {
  const declaredTools = typeof spec.tools === 'object' ? spec.tools : undefined;
  const schema = spec.action;
  // zod's object schemas output a fresh plain object with string keys only (never an own
  // `__proto__`): exactly what the wire check would return, so their output goes out as is.
  const isObject = schema?.def.type === 'object'; // zod's public `def` (classic and mini, since 4.0), read once per session
  return (action, where) => {
    if (declaredTools && isRecord(action) && action['type'] === 'call_tool' && typeof action['tool_name'] === 'string') {
      // A tool call from a policy or `steps()`: its arguments are checked like `callTool`'s.
      const value = { ...action, arguments: checkToolArguments(declaredTools, action['tool_name'], action['arguments'] ?? {}, where.context) };
      return wireObject(value, action, where);
    }
    if (!schema) return wireObject(action, action, where);
    const parsed = schema.safeParse(action);
    if (!parsed.success) throw new ActionValidationError(parsed.error.issues, action, where.context);
    return isObject ? (parsed.data as Record<string, unknown>) : wireObject(parsed.data, action, where);
  };
}

/** The wire carries JSON objects only, whatever the action schema's output type is. */
function wireObject(value: unknown, action: unknown, where: Where): Record<string, unknown> {
  // Hot path: a plain object without symbol keys or an own `__proto__` passes the record
  // schema unchanged, so a shallow copy (what zod would return) is enough.
  if (isPlainRecord(value)) return { ...value };
  const wire = JsonObjectSchema.safeParse(value);
  if (!wire.success) throw new ActionValidationError(wire.error.issues, action, where.context);
  return wire.data;
}

/** A reply checked against `schema` (none, or `validate` off: as is); a mismatch throws `ResponseValidationError`. */
export function checkedReply<T>(schema: z.ZodType<T> | undefined, validate: boolean, value: unknown, what: 'observation' | 'state', where: Where): T {
  if (!schema || !validate) return value as T;
  const result = schema.safeParse(value);
  if (!result.success) throw new ResponseValidationError(result.error.issues, value, what, where.context);
  return result.data;
}
