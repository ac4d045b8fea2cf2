import { z } from 'zod';
import { invalidArgumentsText } from '../environment/tool-arguments.js';
import { isRecord } from '../internal/is-record.js';
import { matchesJsonSchema, type JsonSchema } from '../policies/json-schema.js';
import type { ToolInfo } from '../tools/tool-types.js';

/**
 * A function the model may call. `kind: 'tool'`: one of a tool env's tools, the call becomes
 * `{type: 'call_tool', tool_name, arguments}`; `kind: 'action'`: the env's whole action (a game env),
 * the arguments ARE the action.
 */
export interface AgentTool {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: JsonSchema;
  kind: 'tool' | 'action';
}

/** The name of the one function a game env's action is offered as. */
export const ACTION_TOOL_NAME = 'act';

/**
 * A tool env's listed tools (`env.listTools()`) as functions for the model.
 *
 * @example
 * const EchoMcp = defineEnv({ name: 'echo_mcp' });
 * const { tools } = await firstValueFrom(EchoMcp.connect('http://127.0.0.1:8000').pipe(withSession((env) => env.listTools())));
 * chatPolicy({ baseURL: 'http://127.0.0.1:8080/v1', model: 'llama3.1', tools: agentToolsOf(tools) });
 */
export function agentToolsOf(tools: readonly ToolInfo[]): AgentTool[] {
  return tools.map((tool) => ({ name: tool.name, description: tool.description ?? '', parameters: tool.inputSchema ?? { type: 'object', properties: {} }, kind: 'tool' }));
}

/**
 * A game env's action schema (`GET /schema`'s `action`) as one function, `act`, whose arguments are the action.
 *
 * @example
 * const Grid = defineEnv({ name: 'grid_world' });
 * const { action } = await firstValueFrom(Grid.connect('http://127.0.0.1:8000').pipe(withSession((env) => env.schema())));
 * chatPolicy({ baseURL: 'http://127.0.0.1:8080/v1', model: 'llama3.1', tools: [actionAsTool(action)] });
 */
export function actionAsTool(actionSchema: JsonSchema, description = 'Take one action in the environment: the arguments are the action.'): AgentTool {
  return { name: ACTION_TOOL_NAME, description, parameters: actionSchema, kind: 'action' };
}

/** The `tools` of a Chat Completions request. */
export function openaiTools(tools: readonly AgentTool[]): Array<{ type: 'function'; function: { name: string; description: string; parameters: JsonSchema } }> {
  return tools.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } }));
}

/** A tool call checked against the tools offered: the arguments parsed, or what is wrong (worded for the model). */
export type CheckedCall = { ok: true; tool: AgentTool; args: Record<string, unknown> } | { ok: false; problem: string };

const validators = new WeakMap<AgentTool, z.ZodType | null>();

/**
 * Checks one tool call of a model reply before anything is sent: the tool exists, its arguments
 * are a JSON object and fit the tool's schema (errors worded as a FastMCP server words them).
 */
export function checkToolCall(tools: readonly AgentTool[], name: string, argumentsText: string): CheckedCall {
  const tool = tools.find((t) => t.name === name);
  if (!tool) return { ok: false, problem: `Unknown tool ${JSON.stringify(name)}; the tools are: ${tools.map((t) => t.name).join(', ')}` };
  let args: unknown;
  try {
    args = argumentsText.trim() === '' ? {} : JSON.parse(argumentsText);
  } catch (error) {
    return { ok: false, problem: `The arguments of ${name} are not valid JSON (${(error as Error).message}): ${argumentsText.slice(0, 200)}` };
  }
  if (!isRecord(args)) return { ok: false, problem: `The arguments of ${name} must be a JSON object, got ${JSON.stringify(args)?.slice(0, 200)}` };
  const validator = validatorOf(tool);
  if (validator) {
    const parsed = validator.safeParse(args);
    if (!parsed.success) return { ok: false, problem: invalidArgumentsText(name, validator, args, parsed.error.issues) };
  } else if (!matchesJsonSchema(tool.parameters, args)) {
    return { ok: false, problem: `The arguments of ${name} do not fit its schema ${JSON.stringify(tool.parameters).slice(0, 500)}` };
  }
  return { ok: true, tool, args };
}

// zod turns the JSON Schema into a validator once per tool; a schema it cannot read falls back to the sampler's matcher.
function validatorOf(tool: AgentTool): z.ZodType | null {
  let validator = validators.get(tool);
  if (validator === undefined) {
    try {
      validator = z.fromJSONSchema(tool.parameters as Parameters<typeof z.fromJSONSchema>[0]);
    } catch {
      validator = null;
    }
    validators.set(tool, validator);
  }
  return validator;
}
