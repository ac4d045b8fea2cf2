import { defer, mergeMap, of, timer } from 'rxjs';
import { z } from 'zod';
import { defineToolEnv } from '../../src/environment/define-tool-env.js';
import { defineTool } from '../../src/environment/tools.js';
import { gridWorldEnv } from '../../src/envs/grid-world.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { Cleanup, openSocket } from './support.js';

/** A gate a test holds and releases: a handler waits on it, so no timing is guessed. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

function toolEnv(gates: Map<string, Promise<void>> = new Map()) {
  return defineToolEnv({
    name: 'toolbox',
    reset: ({ session, seed }) => {
      session['count'] = 0;
      return { ready: true, seed: seed ?? null };
    },
    tools: {
      count: defineTool({
        description: 'Counts calls in this env instance.',
        input: z.strictObject({}),
        output: z.number(),
        handler: (_args, ctx) => {
          ctx.session['count'] = ((ctx.session['count'] as number | undefined) ?? 0) + 1;
          return ctx.session['count'] as number;
        },
      }),
      score: defineTool({
        input: z.strictObject({ points: z.number() }),
        // A Promise handler that rewards the step and ends the episode at 10 points.
        handler: async ({ points }, ctx) => {
          ctx.reward = points;
          ctx.done = points >= 10;
          return { points };
        },
      }),
      stream: defineTool({
        input: z.strictObject({ n: z.int().min(1) }),
        // An Observable handler: its last value is the result.
        handler: ({ n }, ctx) =>
          defer(() => {
            ctx.reward = 0.5;
            return timer(1).pipe(mergeMap(() => of(n, n * 2)));
          }),
      }),
      wait: defineTool({
        input: z.strictObject({ key: z.string() }),
        handler: async ({ key }) => {
          await gates.get(key);
          return key;
        },
      }),
      fail: defineTool({ input: z.strictObject({}), handler: () => { throw new Error('tool broke'); } }),
      lie: defineTool({ input: z.strictObject({}), output: z.number(), handler: () => 'not a number' as unknown as number }),
    },
  });
}

const step = (data: unknown) => ({ type: 'step', data });
const call = (tool_name: string, args: Record<string, unknown> = {}) => step({ type: 'call_tool', tool_name, arguments: args });
const rpc = (id: number, method: string, params?: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method, ...(params && { params }) });

async function postMcp(server: RunningServer, body: unknown): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

describe('tool envs served by serve()', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('call_tool steps: handlers (sync, Promise, Observable) set reward and done; every tool step counts; reset runs the hook', async () => {
    const server = cleanup.server(await serve(toolEnv()));
    const ws = cleanup.socket(await openSocket(server.url));
    ws.sendJson({ type: 'reset', data: { seed: 3 } });
    expect(await ws.next()).toEqual({ type: 'observation', data: { observation: { ready: true, seed: 3 }, reward: 0, done: false } });
    ws.sendJson(call('count'));
    ws.sendJson(call('count'));
    const first = (await ws.next()) as { data: { observation: { result: { data: number } } } };
    const second = (await ws.next()) as { data: { observation: { result: { data: number } } } };
    expect([first.data.observation.result.data, second.data.observation.result.data]).toEqual([1, 2]);

    ws.sendJson(call('score', { points: 3 }));
    expect(await ws.next()).toMatchObject({ data: { observation: { tool_name: 'score', result: { data: { points: 3 }, is_error: false }, error: null }, reward: 3, done: false } });
    ws.sendJson(call('stream', { n: 4 }));
    expect(await ws.next()).toMatchObject({ data: { observation: { result: { data: 8, structured_content: { result: 8 } } }, reward: 0.5 } });
    ws.sendJson(call('score', { points: 10 }));
    expect(await ws.next()).toMatchObject({ data: { reward: 10, done: true } });
    ws.sendJson({ type: 'state' });
    expect(await ws.next()).toMatchObject({ type: 'state', data: { step_count: 5 } });
  });

  it('tool failures are observations: a throwing handler is execution_error, a result breaking the output schema too', async () => {
    const server = cleanup.server(await serve(toolEnv()));
    const ws = cleanup.socket(await openSocket(server.url));
    ws.sendJson(call('fail'));
    expect(await ws.next()).toEqual({
      type: 'observation',
      data: { observation: { tool_name: 'fail', result: null, error: { error_type: 'execution_error', message: "Error calling tool 'fail': tool broke" } }, reward: null, done: false },
    });
    ws.sendJson(call('lie'));
    expect(await ws.next()).toMatchObject({ data: { observation: { error: { error_type: 'execution_error', message: expect.stringContaining('Output validation error') } } } });
    // A wrong-typed argument is execution_error, a missing one invalid_args: OpenEnv files them by
    // their wording (spec/interop/client.spec.ts compares with its own server).
    ws.sendJson(call('score', { points: 'ten' }));
    expect(await ws.next()).toMatchObject({
      data: { observation: { error: { error_type: 'execution_error', message: expect.stringContaining("points\n  Input should be a valid number, unable to parse string as a number [type=float_parsing, input_value='ten'") } } },
    });
    ws.sendJson(call('score', {}));
    expect(await ws.next()).toMatchObject({ data: { observation: { error: { error_type: 'invalid_args', message: expect.stringContaining('Missing required argument') } } } });
  });

  it('WS mcp: several calls in flight, answered as they finish (out of order, by id), beside the step FIFO; not steps', async () => {
    const gates = new Map([['a', gate()], ['b', gate()]]);
    const server = cleanup.server(await serve(toolEnv(new Map([...gates].map(([k, g]) => [k, g.wait])))));
    const ws = cleanup.socket(await openSocket(server.url));
    ws.sendJson({ type: 'mcp', data: rpc(1, 'tools/call', { name: 'wait', arguments: { key: 'a' } }) });
    ws.sendJson({ type: 'mcp', data: rpc(2, 'tools/call', { name: 'wait', arguments: { key: 'b' } }) });
    ws.sendJson({ type: 'mcp', data: rpc(3, 'tools/list') });
    // tools/list and a step are answered while both calls still wait on their gates.
    expect(await ws.next()).toMatchObject({ type: 'mcp', data: { id: 3, result: { tools: expect.any(Array) } } });
    ws.sendJson(call('count'));
    expect(await ws.next()).toMatchObject({ type: 'observation', data: { observation: { result: { data: 1 } } } });
    gates.get('b')!.open();
    expect(await ws.next()).toMatchObject({ type: 'mcp', data: { jsonrpc: '2.0', id: 2, result: { data: 'b' } } });
    gates.get('a')!.open();
    expect(await ws.next()).toMatchObject({ type: 'mcp', data: { id: 1, result: { data: 'a' } } });
    ws.sendJson({ type: 'mcp', data: rpc(4, 'tools/call', { name: 'fail', arguments: {} }) });
    expect(await ws.next()).toEqual({ type: 'mcp', data: { jsonrpc: '2.0', id: 4, error: { code: -32603, message: "Error calling tool 'fail': tool broke", data: null } } });
    ws.sendJson({ type: 'state' });
    expect(await ws.next()).toMatchObject({ type: 'state', data: { step_count: 1 } }); // the mcp calls were not steps
  });

  it('POST /mcp: stateless calls get a fresh env each; openenv/session/create keeps one until close; capacity and unknown ids are JSON-RPC errors', async () => {
    const server = cleanup.server(await serve(toolEnv(), { maxSessions: 2 }));
    const count = (id: number, session_id?: string) => postMcp(server, rpc(id, 'tools/call', { name: 'count', arguments: {}, ...(session_id && { session_id }) }));
    expect((await count(1)).result!['data']).toBe(1);
    expect((await count(2)).result!['data']).toBe(1);

    const created = await postMcp(server, rpc(3, 'openenv/session/create'));
    const sessionId = created.result!['session_id'] as string;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await count(4, sessionId)).result!['data']).toBe(1);
    expect((await count(5, sessionId)).result!['data']).toBe(2);
    expect(server.activeSessions()).toBe(1);

    // The MCP session and a /ws socket share maxSessions: the third env is refused.
    const ws = cleanup.socket(await openSocket(server.url));
    ws.sendJson({ type: 'state' });
    await ws.next();
    expect(await postMcp(server, rpc(6, 'openenv/session/create'))).toMatchObject({ error: { code: -32000, message: expect.stringContaining('Server at capacity: 2/2') } });

    expect(await postMcp(server, rpc(7, 'openenv/session/close', { session_id: sessionId }))).toEqual({ jsonrpc: '2.0', id: 7, result: { session_id: sessionId, closed: true } });
    expect(server.activeSessions()).toBe(1);
    expect(await count(8, sessionId)).toMatchObject({ error: { code: -32602, message: `Unknown session_id: ${sessionId}` } });
    expect(await postMcp(server, rpc(9, 'tools/call', { arguments: {} }))).toMatchObject({ error: { code: -32602, message: "Missing 'name' in params" } });
    expect(await postMcp(server, rpc(10, 'tools/call', { name: 'nope' }))).toMatchObject({ error: { code: -32603, message: "Unknown tool: 'nope'" } });
  });

  it('an env without tools still answers tools/* with "Environment does not support MCP", over HTTP and WS', async () => {
    const server = cleanup.server(await serve(gridWorldEnv));
    expect(await postMcp(server, rpc(1, 'tools/list'))).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'Environment does not support MCP', data: null } });
    const ws = cleanup.socket(await openSocket(server.url));
    ws.sendJson({ type: 'mcp', data: rpc(2, 'tools/call', { name: 'x' }) });
    expect(await ws.next()).toEqual({ type: 'mcp', data: { jsonrpc: '2.0', id: 2, error: { code: -32603, message: 'Environment does not support MCP', data: null } } });
    ws.sendJson(step({ type: 'list_tools' }));
    expect(await ws.next()).toMatchObject({ type: 'error', data: { code: 'VALIDATION_ERROR' } });
  });
});
