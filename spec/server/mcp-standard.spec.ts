import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { z } from 'zod';
import { echoMcpEnv } from '../../src/envs/echo-mcp.js';
import { defineToolEnv } from '../../src/environment/define-tool-env.js';
import { defineTool } from '../../src/environment/tools.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { Cleanup } from './support.js';

/**
 * Standard MCP (Streamable HTTP) on `/mcp`, checked with the official SDK client: it initializes
 * (protocol version negotiation, `notifications/initialized`), probes GET /mcp for an SSE stream
 * (405: none offered), lists and calls our tools. OpenEnv's dialect keeps working on the same route.
 */
const cleanups: Array<() => Promise<void>> = [];

async function sdkClient(server: RunningServer): Promise<Client> {
  const client = new Client({ name: 'openenv-rx-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
  cleanups.push(() => client.close());
  return client;
}

const post = (server: RunningServer, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('standard MCP over Streamable HTTP (official SDK client)', () => {
  const cleanup = new Cleanup();
  afterEach(async () => {
    for (const close of cleanups.splice(0)) await close();
    await cleanup.run();
  });

  it('the SDK client initializes, lists and calls the tools of the served echo_mcp', async () => {
    const server = cleanup.server(await serve(echoMcpEnv));
    const client = await sdkClient(server);
    expect(client.getServerVersion()).toEqual({ name: 'echo_mcp', version: '1.0.0' });
    expect(client.getServerCapabilities()).toEqual({ tools: { listChanged: false } });

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo_message', 'echo_with_length']);
    expect(tools[0]).toEqual({
      name: 'echo_message',
      description: expect.stringContaining('Echo back the provided message.'),
      inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'], additionalProperties: false },
      outputSchema: expect.objectContaining({ type: 'object', required: ['result'] }),
    });

    // The SDK checks structuredContent against each tool's outputSchema.
    expect(await client.callTool({ name: 'echo_message', arguments: { message: 'via the SDK' } })).toEqual({
      content: [{ type: 'text', text: 'via the SDK' }],
      structuredContent: { result: 'via the SDK' },
      isError: false,
    });
    expect(await client.callTool({ name: 'echo_with_length', arguments: { message: 'h\u00e9llo \u2713' } })).toEqual({
      content: [{ type: 'text', text: '{"message":"h\u00e9llo \u2713","length":7}' }],
      structuredContent: { message: 'h\u00e9llo \u2713', length: 7 },
      isError: false,
    });
  });

  it('tool failures: bad arguments and a throwing handler are isError results, an unknown tool a JSON-RPC error', async () => {
    const Failing = defineToolEnv({
      name: 'failing',
      tools: {
        boom: defineTool({ input: z.strictObject({}), handler: () => Promise.reject(new Error('kaput')) }),
        echo: echoMcpEnv.tools.echo_message,
      },
    });
    const server = cleanup.server(await serve(Failing));
    const client = await sdkClient(server);
    const bad = await client.callTool({ name: 'echo', arguments: { msg: 1 } });
    expect(bad.isError).toBe(true);
    expect((bad.content as Array<{ text: string }>)[0]!.text).toMatch(/^2 validation errors for call\[echo\]\nmessage\n {2}Missing required argument/);
    const boom = await client.callTool({ name: 'boom', arguments: {} });
    expect(boom).toEqual({ content: [{ type: 'text', text: "Error calling tool 'boom': kaput" }], isError: true });
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining("Unknown tool: 'nope'") });
  });

  it('negotiates 2025-06-18 and 2025-11-25, offers the newest for anything else, refuses an unsupported version header with 400', async () => {
    const server = cleanup.server(await serve(echoMcpEnv));
    const init = (protocolVersion: string) =>
      post(server, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 't', version: '1' } } }).then(
        async (res) => ({ status: res.status, body: (await res.json()) as { result: { protocolVersion: string } } }),
      );
    expect((await init('2025-06-18')).body.result.protocolVersion).toBe('2025-06-18');
    expect((await init('2025-11-25')).body.result.protocolVersion).toBe('2025-11-25');
    expect((await init('2024-11-05')).body.result.protocolVersion).toBe('2025-11-25');

    const notification = await post(server, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-protocol-version': '2025-06-18' });
    expect(notification.status).toBe(202);
    expect(await notification.text()).toBe('');

    const unsupported = await post(server, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-protocol-version': '1999-01-01' });
    expect(unsupported.status).toBe(400);
    expect(await unsupported.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('1999-01-01') } });

    const ping = await post(server, { jsonrpc: '2.0', id: 3, method: 'ping' }, { 'mcp-protocol-version': '2025-11-25' });
    expect(await ping.json()).toEqual({ jsonrpc: '2.0', id: 3, result: {} });
    expect((await fetch(`${server.url}/mcp`)).status).toBe(405); // no server-initiated SSE stream
  });

  it('a foreign Origin is refused in both dialects (DNS rebinding, CORS simple requests); same-origin and Origin-less requests pass', async () => {
    const server = cleanup.server(await serve(echoMcpEnv));
    const foreign = await post(server, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-protocol-version': '2025-06-18', origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    // OpenEnv's dialect (no MCP headers) from the same page is refused too: it used to pass.
    const openenvForeign = await post(server, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { origin: 'http://evil.example' });
    expect(openenvForeign.status).toBe(403);
    // Another local port is another origin.
    expect((await post(server, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-protocol-version': '2025-06-18', origin: 'http://localhost:3000' })).status).toBe(403);
    const local = await post(server, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-protocol-version': '2025-06-18', origin: server.url });
    expect(local.status).toBe(200);
    expect(((await local.json()) as { result: { tools: Array<Record<string, unknown>> } }).result.tools[0]).not.toHaveProperty('icons');

    const openenv = await post(server, { jsonrpc: '2.0', id: 7, method: 'tools/list' });
    const body = (await openenv.json()) as { result: { tools: Array<Record<string, unknown>> } };
    expect(body.result.tools[0]).toMatchObject({ name: 'echo_message', title: null, icons: null, annotations: null, execution: null });
  });
});
