import type { z } from 'zod';
import type { AnyEnvDefinition } from '../environment/environment.js';
import { isRecord } from '../internal/is-record.js';
import { CallToolAction, ListToolsAction } from '../protocol/mcp-messages.js';

/** A validated action, or the issues and the schema that produced them (for pydantic's wording). */
export type ParsedAction = { ok: true; action: unknown } | { ok: false; issues: readonly z.core.$ZodIssue[]; schema: z.ZodType };

/**
 * How the server validates a step action. Plain envs: the definition's action schema. Tool envs:
 * `{"type":"list_tools"}` is a `ListToolsAction`, anything else is validated as a `CallToolAction`,
 * which is what OpenEnv's MCP envs do: a bogus `type` is reported against `call_tool`.
 *
 * @example
 * actionParserFor(echoMcpEnv)({ type: 'list_tools' }) // { ok: true, action: { type: 'list_tools' } }
 */
export function actionParserFor(definition: AnyEnvDefinition): (data: unknown) => ParsedAction {
  const parse = (schema: z.ZodType, data: unknown): ParsedAction => {
    const result = schema.safeParse(data);
    return result.success ? { ok: true, action: result.data } : { ok: false, issues: result.error.issues, schema };
  };
  if (!definition.tools) return (data) => parse(definition.action, data);
  return (data) => parse(isRecord(data) && data['type'] === 'list_tools' ? ListToolsAction : CallToolAction, data);
}
