import { firstValueFrom, forkJoin } from 'rxjs';
import { JsonRpcError, ToolError } from '../../src/errors/index.js';
import { connectUrl } from '../../src/session/connect-url.js';
import { loadTranscript, type HttpExchange, type WsExchange } from '../helpers/transcripts.js';
import { errorOf, useTestCleanups } from '../transport/support.js';
import { Echo, openSession } from './support.js';

/**
 * The client's tool API against a replay of the generation-H echo server (OpenEnv 685de411): every
 * MCP exchange of echo_env.jsonl and echo_env-ws.jsonl is produced by listTools/callTool/mcp and
 * its recorded answer mapped to the documented value or error. JSON-RPC ids are compared loosely.
 */
const ws = loadTranscript<WsExchange>('echo_env-ws.jsonl');
const http = loadTranscript<HttpExchange>('echo_env.jsonl');
const recvOf = (note: string) => (ws.find((row) => row.note === note)!.recv as { data: { observation: Record<string, unknown> } }).data;
const httpBodyOf = (note: string) => http.find((row) => row.note?.startsWith(note))!.response_body as Record<string, unknown>;

describe('tools over /ws against the recorded generation-H echo', () => {
  const { cleanups, replayServer } = useTestCleanups();

  it('listTools, callTool (both tools, both tool errors) are steps; mcp and callTool via mcp are JSON-RPC, pipelined', async () => {
    const replay = await replayServer({ http: 'echo_env.jsonl', ws: 'echo_env-ws.jsonl' });
    const { env, failures, close } = await openSession(Echo.connect(replay.url, { transport: 'ws' }));
    cleanups.push(close);
    await firstValueFrom(env.reset());

    const listed = await firstValueFrom(env.listTools());
    const recordedTools = recvOf('step: MCP list_tools').observation['tools'] as Array<Record<string, unknown>>;
    expect(listed).toEqual({
      tools: recordedTools.map(({ input_schema, ...rest }) => ({ ...rest, inputSchema: input_schema })),
      reward: null,
      done: false,
    });

    const hello = await firstValueFrom(env.callTool('echo_message', { message: 'hello' }));
    expect(hello).toEqual({ ok: true, tool: 'echo_message', value: 'hello', result: recvOf('step: MCP call echo_message').observation['result'], reward: null, done: false });
    const withLength = await firstValueFrom(env.callTool('echo_with_length', { message: 'h\u00e9llo \u2713' }));
    expect(withLength.value).toEqual({ message: 'h\u00e9llo \u2713', length: 7 });

    // Tool errors come as observations; an untyped session sends what the typed one refuses.
    const untyped = await openSession(connectUrl(replay.url, { transport: 'ws' }));
    cleanups.push(untyped.close);
    const replayedFrom = replay.received.length;
    const notFound = (await errorOf(untyped.env.callTool('no_such_tool', {}))) as ToolError;
    expect(notFound).toBeInstanceOf(ToolError);
    expect(notFound).toMatchObject({ code: 'ERR_TOOL', tool: 'no_such_tool', errorType: 'tool_not_found', rpcCode: undefined, toolMessage: "Unknown tool: 'no_such_tool'" });
    expect(notFound.context).toMatchObject({ env: 'env', transport: 'ws', request: 'step', stepIndex: 1, tool: 'no_such_tool' });
    const badArgs = await firstValueFrom(untyped.env.callTool('echo_message', { msg: 1 }, { toolErrors: 'value' }));
    expect(badArgs).toMatchObject({ ok: false, tool: 'echo_message', reward: null, done: false, error: { errorType: 'invalid_args' } });
    expect(badArgs.ok === false && badArgs.error.toolMessage).toBe((recvOf('step: bad tool arguments -> observation.error (200)').observation['error'] as { message: string }).message);
    expect(replay.received.slice(replayedFrom).map((r) => JSON.parse(r.body) as unknown)).toEqual([
      ws.find((r) => r.note === 'step: unknown tool -> observation.error (200)')!.send,
      ws.find((r) => r.note === 'step: bad tool arguments -> observation.error (200)')!.send,
    ]);

    expect(await firstValueFrom(env.state())).toMatchObject({ step_count: 5 });

    // Two JSON-RPC requests at once (forkJoin subscribes both): each caller gets its own answer.
    const before = replay.received.length;
    const [list, echoed] = await firstValueFrom(
      forkJoin([env.mcp<{ tools: unknown[] }>('tools/list'), env.callTool('echo_message', { message: 'ws-mcp' }, { via: 'mcp' })]),
    );
    expect(replay.received.slice(before).map((r) => JSON.parse(r.body) as { data: { method: string } }).map((f) => f.data.method)).toEqual(['tools/list', 'tools/call']);
    expect(list.tools).toHaveLength(2);
    expect(echoed).toMatchObject({ ok: true, value: 'ws-mcp', reward: null, done: false });

    expect((await firstValueFrom(env.listTools())).tools).toHaveLength(2); // "still alive after errors"
    expect(failures).toEqual([]);
  });
});

describe('tools over HTTP (stateless) against the recorded generation-H echo', () => {
  const { cleanups, replayServer } = useTestCleanups();

  it('list_tools/call_tool steps over POST /step, tools/list and tools/call over POST /mcp, an unknown method a JsonRpcError', async () => {
    const replay = await replayServer({ http: 'echo_env.jsonl' });
    const { env, close } = await openSession(Echo.connect(replay.url, { transport: 'http' }));
    cleanups.push(close);
    expect((await firstValueFrom(env.listTools())).tools.map((t) => t.name)).toEqual(['echo_message', 'echo_with_length']);
    expect((await firstValueFrom(env.callTool('echo_message', { message: 'hello' }))).value).toBe('hello');
    expect((await firstValueFrom(env.callTool('echo_with_length', { message: 'h\u00e9llo \u2713' }))).value).toEqual({ message: 'h\u00e9llo \u2713', length: 7 });

    const untyped = await openSession(connectUrl(replay.url, { transport: 'http' }));
    cleanups.push(untyped.close);
    expect(await errorOf(untyped.env.callTool('no_such_tool', {}))).toMatchObject({ errorType: 'tool_not_found', context: { transport: 'http' } });
    expect(await errorOf(untyped.env.callTool('echo_message', { msg: 1 }))).toMatchObject({ errorType: 'invalid_args' });

    const listed = await firstValueFrom(env.listTools({ via: 'mcp' }));
    expect(listed.tools).toEqual((httpBodyOf('MCP JSON-RPC tools/list')['result'] as { tools: unknown[] }).tools);
    expect(await firstValueFrom(env.callTool('echo_message', { message: 'via /mcp' }, { via: 'mcp' }))).toMatchObject({ ok: true, value: 'via /mcp', reward: null });
    const unknown = (await errorOf(env.mcp('no/such'))) as JsonRpcError;
    expect(unknown).toBeInstanceOf(JsonRpcError);
    expect(unknown).toMatchObject({ code: 'ERR_JSON_RPC', method: 'no/such', rpcCode: -32601, rpcMessage: 'Method not found: no/such', context: { request: 'mcp', transport: 'http' } });
  });
});
