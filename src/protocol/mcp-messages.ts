import { z } from 'zod';

/**
 * MCP on OpenEnv's wire (generation H): the `list_tools` / `call_tool` step actions, their
 * observations, and JSON-RPC 2.0 as `POST /mcp` and the WS `mcp` envelope carry it. The action and
 * observation schemas are described exactly as OpenEnv's pydantic models print them in `/schema`
 * (titles, descriptions, `$defs`), so a server built on them answers `/schema` identically.
 */

const ACTION_METADATA = z
  .record(z.string(), z.unknown())
  .optional()
  .meta({ title: 'Metadata', description: 'Additional metadata for the action' });

/** `{"type":"list_tools"}`: a step whose observation is `{"tools":[...]}`. */
export const ListToolsAction = z
  .strictObject({
    metadata: ACTION_METADATA,
    type: z.literal('list_tools').default('list_tools').describe('Action type discriminator'),
  })
  .meta({
    title: 'ListToolsAction',
    description: "Request list of available tools from the environment.\n\nThis action triggers MCP's tools/list operation and returns\nall available tools with their schemas.",
  });
export type ListToolsAction = z.input<typeof ListToolsAction>;

/**
 * `{"type":"call_tool","tool_name":...,"arguments":{...}}`. Field order matters: pydantic reports
 * missing fields in declaration order, and OpenEnv validates every non-`list_tools` action as this.
 */
export const CallToolAction = z
  .strictObject({
    metadata: ACTION_METADATA,
    type: z.literal('call_tool').default('call_tool').describe('Action type discriminator'),
    tool_name: z.string().describe('Name of the tool to call'),
    arguments: z.record(z.string(), z.unknown()).optional().describe('Arguments to pass to the tool'),
  })
  .meta({
    title: 'CallToolAction',
    description: "Call a specific tool via MCP.\n\nThis action triggers MCP's tools/call operation with the\nspecified tool name and arguments.",
  });
export type CallToolAction = z.input<typeof CallToolAction>;

/** The categories of `observation.error.error_type`. */
const TOOL_ERROR_TYPES = ['execution_error', 'invalid_args', 'transport_error', 'tool_not_found', 'timeout'] as const;
export const ToolErrorType = z
  .enum(TOOL_ERROR_TYPES)
  .meta({ id: 'ToolErrorType', title: 'ToolErrorType', description: 'Types of errors that can occur during tool execution.' });
export type ToolErrorType = z.infer<typeof ToolErrorType>;

/** `observation.error` of a failed `call_tool` step (a normal 200 observation, not an error frame). */
export const ToolErrorBody = z
  .strictObject({
    error_type: ToolErrorType.describe('Category of the error'),
    message: z.string().describe('Human-readable error message'),
  })
  .meta({
    id: 'ToolError',
    title: 'ToolError',
    description:
      'Structured error for tool execution failures.\n\nThis is used for transport/framework errors, NOT for errors returned\nby the tool itself (those go in the result field).',
  });
export type ToolErrorBody = z.infer<typeof ToolErrorBody>;

/** The observation of a `call_tool` step, as `/schema` documents it. */
export const CallToolObservation = z
  .strictObject({
    tool_name: z.string().describe('Name of the tool that was called'),
    result: z.unknown().default(null).describe('Tool-specific result (may include tool errors)'),
    error: ToolErrorBody.nullable().default(null).describe('Transport/framework error if call failed'),
  })
  .meta({
    title: 'CallToolObservation',
    description:
      'Response from tool execution.\n\nContains the tool\'s result or an error if the call failed.\nTool-specific errors (from the tool itself) are included in the result.\nTransport/framework errors use the error field.',
  });
export type CallToolObservation = z.output<typeof CallToolObservation>;

/** One entry of a `list_tools` observation (snake_case `input_schema`). */
export const StepToolInfo = z
  .object({ name: z.string(), description: z.string().nullish(), input_schema: z.record(z.string(), z.unknown()).optional() })
  .loose();
export type StepToolInfo = z.infer<typeof StepToolInfo>;

/** The observation of a `list_tools` step. */
export const ListToolsObservation = z.object({ tools: z.array(StepToolInfo) }).loose();
export type ListToolsObservation = z.infer<typeof ListToolsObservation>;

/** One text block of a tool result (`annotations`/`meta` are `null` in OpenEnv's dialect). */
export const McpContentBlock = z.object({ type: z.string(), text: z.string().optional() }).loose();

/**
 * A `tools/call` result, in either dialect: OpenEnv's snake_case (`structured_content`, `is_error`,
 * `data`) or standard MCP's camelCase (`structuredContent`, `isError`).
 */
export const McpCallToolResult = z
  .object({
    content: z.array(McpContentBlock).optional(),
    structured_content: z.unknown().optional(),
    structuredContent: z.unknown().optional(),
    data: z.unknown().optional(),
    is_error: z.boolean().nullish(),
    isError: z.boolean().nullish(),
  })
  .loose();
export type McpCallToolResult = z.infer<typeof McpCallToolResult>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * fastmcp 4 (what openenv-core 0.3's `fastmcp>=3` resolves to) names a tool's schemas
 * `input_schema` / `output_schema` in `tools/list`; MCP and fastmcp 3 say `inputSchema` /
 * `outputSchema`. Both read as the camelCase fields.
 */
function camelSchemas(tool: unknown): unknown {
  if (!isObject(tool)) return tool;
  const { input_schema, output_schema, ...rest } = tool;
  return {
    ...rest,
    ...(rest['inputSchema'] === undefined && input_schema !== undefined && { inputSchema: input_schema }),
    ...(rest['outputSchema'] === undefined && output_schema !== undefined && { outputSchema: output_schema }),
  };
}

/** One entry of a JSON-RPC `tools/list` result (`inputSchema`, or fastmcp 4's `input_schema`). */
export const McpToolInfo = z.preprocess(
  camelSchemas,
  z.object({
    name: z.string(),
    title: z.string().nullish(),
    description: z.string().nullish(),
    inputSchema: z.record(z.string(), z.unknown()).optional(),
    outputSchema: z.record(z.string(), z.unknown()).nullish(),
  }).loose(),
);
export type McpToolInfo = z.infer<typeof McpToolInfo>;

export const McpListToolsResult = z.object({ tools: z.array(McpToolInfo) }).loose();
export type McpListToolsResult = z.infer<typeof McpListToolsResult>;

/** A JSON-RPC id: what a reply is matched by. */
export const JsonRpcId = z.union([z.string(), z.number()]);
export type JsonRpcId = z.infer<typeof JsonRpcId>;

export const JsonRpcErrorObject = z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).loose();
export type JsonRpcErrorObject = z.infer<typeof JsonRpcErrorObject>;

/** A JSON-RPC 2.0 response: `result` or `error`, `id` null only when the request could not be read. */
export const JsonRpcResponseMessage = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: JsonRpcId.nullable(), error: JsonRpcErrorObject }).loose(),
  z.object({ jsonrpc: z.literal('2.0'), id: JsonRpcId.nullable(), result: z.unknown() }).loose(),
]);
export type JsonRpcResponseMessage = z.infer<typeof JsonRpcResponseMessage>;

/** The error object of a JSON-RPC response, or undefined for a result. */
export function jsonRpcErrorOf(reply: JsonRpcResponseMessage): JsonRpcErrorObject | undefined {
  return 'error' in reply && reply.error !== undefined ? (reply.error as JsonRpcErrorObject) : undefined;
}

/** MCP protocol versions our server speaks over Streamable HTTP (newest first). */
export const MCP_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18'] as const;
