import { z } from 'zod';
import { CallToolAction, ListToolsAction } from '../protocol/mcp-messages.js';
import { BaseState, type ServerEnvDefinition, type EnvState } from './environment.js';
import { buildToolCatalog } from './tool-catalog.js';
import { ToolEnvironment, type McpStepAction, type ToolResetHook } from './tool-environment.js';
import type { ToolSet } from './tools.js';

/** What a tool env is made of: names for `/metadata` (as `ServerEnvDefinition`), the tools, and an optional reset hook. */
export interface ToolEnvSpec<T extends ToolSet>
  extends Pick<ServerEnvDefinition, 'name' | 'title' | 'description' | 'version' | 'readme' | 'author' | 'documentationUrl'> {
  readonly tools: T;
  /** Runs on every reset; its return value is the reset observation (default `{}`, as OpenEnv's echo). */
  readonly reset?: ToolResetHook;
}

/** A served env whose actions are MCP tool calls. */
export interface ToolEnvDefinition<T extends ToolSet> extends ServerEnvDefinition<McpStepAction, Record<string, unknown>, EnvState> {
  readonly tools: T;
}

/**
 * Declares a tool env (OpenEnv generation H): each `/ws` socket gets a `ToolEnvironment` that
 * answers `list_tools`/`call_tool` steps (counted in `step_count`, reward `null` unless a handler
 * sets it) and JSON-RPC tool calls. `/schema` documents `CallToolAction`/`CallToolObservation`
 * exactly as OpenEnv does. Throws if a tool's schema cannot be expressed as JSON Schema.
 *
 * @example
 * const Calculator = defineToolEnv({
 *   name: 'calculator',
 *   tools: {
 *     add: defineTool({ input: z.strictObject({ a: z.number(), b: z.number() }), handler: ({ a, b }) => a + b }),
 *   },
 * });
 * const server = await serve(Calculator);
 * await server.close();
 */
export function defineToolEnv<const T extends ToolSet>(spec: ToolEnvSpec<T>): ToolEnvDefinition<T> {
  const catalog = buildToolCatalog(spec.tools);
  const { tools, reset, ...names } = spec;
  return {
    ...names,
    tools,
    // What the env accepts (a client may validate with it); `/schema` documents CallToolAction only, as OpenEnv.
    action: z.union([ListToolsAction, CallToolAction]) as unknown as ServerEnvDefinition<McpStepAction>['action'],
    // Reset, list_tools and call_tool answer different objects; `/schema` documents CallToolObservation.
    observation: z.record(z.string(), z.unknown()),
    state: BaseState,
    create: () => new ToolEnvironment(tools, catalog, reset),
  };
}
