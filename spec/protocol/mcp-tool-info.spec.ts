import { McpListToolsResult } from '../../src/protocol/mcp-messages.js';

describe('tools/list entries', () => {
  const schema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] };

  it("reads fastmcp 4's input_schema / output_schema (openenv-core 0.3 servers) as inputSchema / outputSchema", () => {
    const parsed = McpListToolsResult.parse({ tools: [{ name: 'add', input_schema: schema, output_schema: { type: 'object' } }] });
    expect(parsed.tools[0]).toEqual({ name: 'add', inputSchema: schema, outputSchema: { type: 'object' } });
  });

  it('keeps camelCase inputSchema (MCP, fastmcp 3) when both spellings are present', () => {
    const parsed = McpListToolsResult.parse({ tools: [{ name: 'add', inputSchema: schema, input_schema: { type: 'object' } }] });
    expect(parsed.tools[0]!.inputSchema).toEqual(schema);
  });
});
