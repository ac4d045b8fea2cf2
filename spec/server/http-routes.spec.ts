import { z } from 'zod';
import { cartPoleEnv } from '../../src/envs/cartpole.js';
import { gridWorldEnv } from '../../src/envs/grid-world.js';
import { defineServerEnv, type EnvResetOptions, type EnvStepContext } from '../../src/environment/environment.js';
import { serve } from '../../src/server/serve.js';
import type { ServerErrorInfo } from '../../src/server/server-context.js';
import { Cleanup } from './support.js';

const post = (url: string, body: string): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** Records what reached the env, and throws on `{fail: true}`. */
function recordingEnv(calls: unknown[]) {
  return defineServerEnv({
    name: 'recorder',
    action: z.strictObject({ fail: z.boolean().default(false) }),
    observation: z.strictObject({ ok: z.boolean() }),
    create: () => ({
      reset: (options: EnvResetOptions) => {
        calls.push(['reset', options]);
        if (options['explode']) throw new Error('reset exploded');
        return { observation: { ok: true }, reward: null, done: false };
      },
      step: (action: { fail: boolean }, context?: EnvStepContext) => {
        calls.push(['step', action, context]);
        if (action.fail) throw new Error('step exploded');
        return { observation: { ok: true }, reward: 1, done: true };
      },
      state: () => ({ episode_id: null, step_count: 0 }),
      close: () => {
        calls.push(['close']);
      },
    }),
  });
}

describe('HTTP routes', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('stateless reset/step: extras, seed and episode_id reach a fresh env that is closed afterwards', async () => {
    const calls: unknown[] = [];
    const server = cleanup.server(await serve(recordingEnv(calls)));
    const reset = await post(server.url + '/reset', '{"seed":3,"episode_id":"e","difficulty":"hard","seed_extra":null}');
    expect(await reset.json()).toEqual({ observation: { ok: true }, reward: null, done: false });
    const step = await post(server.url + '/step', '{"action":{},"timeout_s":1.5,"request_id":"r-1"}');
    expect(await step.json()).toEqual({ observation: { ok: true }, reward: 1, done: true });
    expect(calls).toEqual([
      ['reset', { seed: 3, episodeId: 'e', difficulty: 'hard', seed_extra: null }],
      ['close'],
      ['step', { fail: false }, { timeoutS: 1.5, requestId: 'r-1' }],
      ['close'],
    ]);
    // null optional fields are accepted, as pydantic's Optional[...] does.
    expect((await post(server.url + '/reset', '{"seed":null,"episode_id":null}')).status).toBe(200);
  });

  it('500 text/plain "Internal Server Error" when the env throws; onError sees it; the env is still closed', async () => {
    const calls: unknown[] = [];
    const seen: ServerErrorInfo[] = [];
    const server = cleanup.server(await serve(recordingEnv(calls), { onError: (_e, info) => seen.push(info) }));
    for (const res of [await post(server.url + '/step', '{"action":{"fail":true}}'), await post(server.url + '/reset', '{"explode":1}')]) {
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await res.text()).toBe('Internal Server Error');
    }
    expect(seen).toEqual([
      { operation: 'step', transport: 'http' },
      { operation: 'reset', transport: 'http' },
    ]);
    expect(calls.filter((c) => (c as string[])[0] === 'close')).toHaveLength(2);
  });

  it('422 bodies for seed < 0, timeout_s <= 0, a non-object body and an over-long episode_id', async () => {
    const server = cleanup.server(await serve(gridWorldEnv));
    expect(await (await post(server.url + '/reset', '{"seed":-1}')).json()).toEqual({
      detail: [{ type: 'greater_than_equal', loc: ['body', 'seed'], msg: 'Input should be greater than or equal to 0', input: -1, ctx: { ge: 0 } }],
    });
    expect(await (await post(server.url + '/step', '{"action":{"action":"UP"},"timeout_s":0}')).json()).toEqual({
      detail: [{ type: 'greater_than', loc: ['body', 'timeout_s'], msg: 'Input should be greater than 0', input: 0, ctx: { gt: 0 } }],
    });
    expect(await (await post(server.url + '/step', '[1]')).json()).toEqual({
      detail: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: [1] }],
    });
    const long = await post(server.url + '/reset', JSON.stringify({ episode_id: 'e'.repeat(256) }));
    expect(long.status).toBe(422);
    expect(await long.json()).toMatchObject({ detail: [{ type: 'string_too_long', loc: ['body', 'episode_id'], ctx: { max_length: 255 } }] });
    expect(await (await post(server.url + '/reset', '{"seed":1.5}')).json()).toMatchObject({ detail: [{ type: 'int_from_float' }] });
  });

  it('routes ignore the query string; unknown paths 404, wrong methods 405 with Allow', async () => {
    const server = cleanup.server(await serve(gridWorldEnv));
    expect(await (await fetch(server.url + '/health?probe=1')).json()).toEqual({ status: 'healthy' });
    const wrong = await fetch(server.url + '/reset', { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await (await fetch(server.url + '/ws')).json()).toEqual({ detail: 'Not Found' });
  });

  it('/openapi.json has a string info.version; POST /mcp {} answers -32600 with HTTP 200', async () => {
    const server = cleanup.server(await serve(gridWorldEnv));
    const doc = (await (await fetch(server.url + '/openapi.json')).json()) as { info: { version: unknown }; components: { schemas: Record<string, unknown> } };
    expect(doc.info.version).toBe('1.0.0');
    expect(doc.components.schemas['MoveAction']).toEqual({ type: 'string', enum: ['UP', 'DOWN', 'LEFT', 'RIGHT'], title: 'MoveAction' });
    const mcp = await post(server.url + '/mcp', '{}');
    expect(mcp.status).toBe(200);
    const body = (await mcp.json()) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
    expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
    expect(body.error.message).toMatch(/^Invalid request: 2 validation errors for JsonRpcRequest\njsonrpc\n {2}Field required/);
    expect(await (await post(server.url + '/mcp', '[]')).json()).toMatchObject({ error: { code: -32700, message: 'Parse error' } });
    expect(await (await post(server.url + '/mcp', '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"},"id":4}')).json()).toEqual({
      jsonrpc: '2.0',
      id: 4,
      error: { code: -32603, message: 'Environment does not support MCP', data: null },
    });
  });

  it('/schema carries the action enum (grid_world $defs, cartpole literal) and the env-specific state', async () => {
    const grid = cleanup.server(await serve(gridWorldEnv));
    const gridSchema = (await (await fetch(grid.url + '/schema')).json()) as Record<string, Record<string, unknown>>;
    expect(gridSchema['action']!['$defs']).toEqual({ MoveAction: { enum: ['UP', 'DOWN', 'LEFT', 'RIGHT'], title: 'MoveAction', type: 'string' } });
    expect(gridSchema['action']!['properties']).toMatchObject({ action: { $ref: '#/$defs/MoveAction' } });

    const cart = cleanup.server(await serve(cartPoleEnv));
    const cartSchema = (await (await fetch(cart.url + '/schema')).json()) as Record<string, Record<string, Record<string, unknown>>>;
    expect(cartSchema['action']!['properties']!['action']).toMatchObject({ enum: [0, 1], title: 'Action' });
    expect(cartSchema['action']!['required']).toEqual(['action']);
    expect(Object.keys(cartSchema['state']!['properties']!)).toEqual(
      expect.arrayContaining(['episode_id', 'step_count', 'cart_position', 'pole_angle']),
    );
    expect(cartSchema['observation']!['properties']).toMatchObject({ done: { type: 'boolean' }, cart_position: { type: 'number' } });
  });
});
