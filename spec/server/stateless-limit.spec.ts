import { z } from 'zod';
import { defineToolEnv } from '../../src/environment/define-tool-env.js';
import { defineTool } from '../../src/environment/tools.js';
import { serve } from '../../src/server/serve.js';
import { Cleanup } from './support.js';
import { pollUntil } from '../support/poll.js';

/**
 * Stateless HTTP routes and stateless `POST /mcp` tool calls build an env per request: without a
 * bound, a flood of requests builds envs without end. `maxStatelessRequests` bounds them; one more
 * is refused at once (503 / JSON-RPC -32000) instead of building another env.
 */
let created = 0;
let release: () => void = () => undefined;
let gate = Promise.resolve();
const hold = () => {
  gate = new Promise((resolve) => (release = resolve));
};

const Tools = defineToolEnv({ name: 'gated', tools: { ping: defineTool({ input: z.strictObject({}), handler: () => 'pong' }) } });
/** The tool env, except that building an env waits at the gate. */
const Gated = {
  ...Tools,
  create: async () => {
    created++;
    await gate;
    return Tools.create();
  },
};

const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('stateless requests are bounded by maxStatelessRequests', () => {
  const cleanup = new Cleanup();
  afterEach(async () => {
    release();
    await cleanup.run();
    created = 0;
  });

  it('one request past the bound gets 503 at once (no env built); the bound frees as requests finish', async () => {
    hold();
    const server = cleanup.server(await serve(Gated, { maxStatelessRequests: 2 }));
    const first = post(`${server.url}/reset`, '{}');
    const second = fetch(`${server.url}/state`);
    await pollUntil(() => created === 2, 'two envs being built', { timeoutMs: 10_000 });
    const refused = await post(`${server.url}/step`, '{"action":{"type":"list_tools"}}');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ detail: 'Server busy: 2/2 stateless requests in flight (maxStatelessRequests)' });
    const rpc = await post(`${server.url}/mcp`, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ping","arguments":{}}}');
    expect(await rpc.json()).toMatchObject({ id: 1, error: { code: -32000, message: expect.stringContaining('maxStatelessRequests') } });
    expect(created).toBe(2);
    release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect((await post(`${server.url}/reset`, '{}')).status).toBe(200);
    expect(created).toBe(3);
  });

  it('serve() refuses maxStatelessRequests below 1', async () => {
    await expect(serve(Gated, { maxStatelessRequests: 0 })).rejects.toMatchObject({ code: 'ERR_SERVE', message: expect.stringContaining('maxStatelessRequests') });
  });
});
