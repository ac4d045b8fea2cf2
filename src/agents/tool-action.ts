import type { AgentTool } from './agent-tools.js';

/** The action an agent sends: a tool env's `call_tool` step, or a game env's action object. */
export type AgentAction = Record<string, unknown>;

/** The step action of a checked tool call: `{type: 'call_tool', tool_name, arguments}`, or the arguments themselves for the action tool. */
export function toolAction(tool: AgentTool, args: Record<string, unknown>): AgentAction {
  return tool.kind === 'tool' ? { type: 'call_tool', tool_name: tool.name, arguments: args } : args;
}
