import { echoMcpEnv } from '../../src/envs/echo-mcp.js';
import { gridWorldEnv } from '../../src/envs/grid-world.js';
import { jsonTooDeepAt } from '../../src/internal/json-depth.js';
import { serve } from '../../src/server/serve.js';
import { Cleanup, openSocket } from './support.js';

/**
 * Deeply nested JSON is the client's fault: 422 over HTTP, VALIDATION_ERROR over `/ws`, a
 * JSON-RPC invalid request on `POST /mcp`. It used to be a 500 / EXECUTION_ERROR "Maximum call
 * stack size exceeded" (the env's fault, reported to `onError`).
 */
const DEPTH = 400_000;
const deep = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('deep JSON is refused as the client fault, before anything recurses', () => {
  const cleanup = new Cleanup();
  const reported: unknown[] = [];
  afterEach(async () => {
    reported.length = 0;
    await cleanup.run();
  });

  it('POST /step and /reset: 422 json_invalid naming the limit; onError sees nothing; the server stays up', async () => {
    const server = cleanup.server(await serve(gridWorldEnv, { onError: (e) => reported.push(e), maxBodyBytes: 4 * 1024 * 1024 }));
    const prefix = '{"action":{"action":"UP","x":';
    const step = await post(`${server.url}/step`, `${prefix}${deep(DEPTH)}}}`);
    expect(step.status).toBe(422);
    const at = prefix.length + 256 - 2; // the two objects of the prefix count
    expect(await step.json()).toEqual({
      detail: [{ type: 'json_invalid', loc: ['body', at], msg: 'JSON decode error', input: {}, ctx: { error: `JSON nested deeper than 256 levels (char ${at})` } }],
    });
    expect((await post(`${server.url}/reset`, `{"x":${deep(DEPTH)}}`)).status).toBe(422);
    // Within the limit is fine (the action schema then speaks).
    expect((await post(`${server.url}/step`, `{"action":{"action":"UP"},"x":${deep(200)}}`)).status).toBe(200);
    expect(reported).toEqual([]);
  });

  it('/ws: VALIDATION_ERROR (the socket stays open and answers the next message)', async () => {
    const server = cleanup.server(await serve(gridWorldEnv, { onError: (e) => reported.push(e) }));
    const socket = cleanup.socket(await openSocket(server.url));
    socket.sendRaw(`{"type":"step","data":{"action":"UP","x":${deep(DEPTH)}}}`);
    expect(await socket.next()).toMatchObject({
      type: 'error',
      data: { code: 'VALIDATION_ERROR', message: expect.stringContaining('JSON nested deeper than 256 levels'), errors: [expect.objectContaining({ type: 'json_invalid' })] },
    });
    socket.sendJson({ type: 'reset' });
    expect(await socket.next()).toMatchObject({ type: 'observation' });
    expect(reported).toEqual([]);
  });

  it('POST /mcp: a JSON-RPC invalid request (-32600), in both dialects', async () => {
    const server = cleanup.server(await serve(echoMcpEnv, { onError: (e) => reported.push(e), maxBodyBytes: 4 * 1024 * 1024 }));
    const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo_message","arguments":{"message":${deep(DEPTH)}}}}`;
    const openenv = await post(`${server.url}/mcp`, body);
    expect(openenv.status).toBe(200);
    expect(await openenv.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('JSON nested deeper than 256 levels') } });
    const standard = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', 'mcp-protocol-version': '2025-06-18' }, body });
    expect(standard.status).toBe(400);
    expect(reported).toEqual([]);
  });

  it('maxJsonDepth is an option', async () => {
    const server = cleanup.server(await serve(gridWorldEnv, { maxJsonDepth: 3 }));
    expect((await post(`${server.url}/reset`, '{"a":[[[1]]]}')).status).toBe(422);
    expect((await post(`${server.url}/reset`, '{"a":[[1]]}')).status).toBe(200);
  });
});

describe('jsonTooDeepAt', () => {
  it.each([
    ['[[[1]]]', 2, 2],
    ['[[[1]]]', 3, undefined],
    ['{"a":"[[[[["}', 1, undefined],
    ['{"a":"\\"[[["}', 1, undefined],
    ['[{"a":{"b":[]}}]', 3, 11],
    ['not json [[', 1, 10],
    ['[[[]]]', 3, undefined], // as long as the limit allows nothing deeper: decided by its length
    ['[[[[]]]]', 3, 3],
  ])('%s at depth %d → %s', (text, max, at) => {
    expect(jsonTooDeepAt(text, max)).toBe(at);
  });
});
