import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { z } from 'zod';
import { echoMcpEnv } from '../../src/envs/echo-mcp.js';
import { ResponseValidationError, ToolArgumentsError, ToolError } from '../../src/errors/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { defineEnv } from '../../src/session/define-env.js';
import { errorOf, useTestCleanups } from '../transport/support.js';
import { Echo, openSession } from './support.js';

describe('typed tools (defineEnv({ tools }))', () => {
  const { cleanups, replayServer } = useTestCleanups();
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(echoMcpEnv, { maxSessions: 8 });
  });
  afterAll(() => server.close());

  it('arguments are checked before anything is sent: the error names the tool and the field', async () => {
    const replay = await replayServer({ ws: 'echo_env-ws.jsonl' });
    const { env, close } = await openSession(Echo.connect(replay.url, { transport: 'ws' }));
    cleanups.push(close);
    const error = (await errorOf(env.callTool('echo_message', { message: 42 } as never))) as ToolArgumentsError;
    expect(error).toBeInstanceOf(ToolArgumentsError);
    expect(error).toMatchObject({ code: 'ERR_TOOL_ARGUMENTS', tool: 'echo_message', fields: ['message'], context: { env: 'echo_mcp', tool: 'echo_message' } });
    expect(error.message).toMatch(/^Invalid arguments for tool echo_message: message: Invalid input: expected string, received number \[env echo_mcp/);
    const unknown = (await errorOf(env.callTool('no_such_tool' as never, {} as never))) as ToolArgumentsError;
    expect(unknown.message).toContain('unknown tool (declared: echo_message, echo_with_length)');
    // The same check guards tool calls a policy returns as step actions.
    expect(await errorOf(env.step(Echo.toolCall('echo_with_length', { message: null } as never)))).toBeInstanceOf(ToolArgumentsError);
    expect(replay.received).toEqual([]); // nothing reached the server
  });

  it('results are checked against a declared result schema', async () => {
    const Liar = defineEnv({ name: 'echo_mcp', tools: { echo_message: { input: z.object({ message: z.string() }), result: z.number() } } });
    const { env, close } = await openSession(Liar.connect(server.url, { transport: 'ws' }));
    cleanups.push(close);
    const error = (await errorOf(env.callTool('echo_message', { message: 'not a number' }))) as ResponseValidationError;
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error).toMatchObject({ what: 'response', body: 'not a number', context: { tool: 'echo_message', request: 'step' } });
  });

  it("'discover' checks arguments against the server's own tools/list (one JSON-RPC call, not a step)", async () => {
    const Discovered = defineEnv({ name: 'echo_mcp', tools: 'discover' });
    const { env, close } = await openSession(Discovered.connect(server.url, { transport: 'ws' }));
    cleanups.push(close);
    const refused = (await errorOf(env.callTool('echo_message', { msg: 1 }))) as ToolArgumentsError;
    expect(refused).toBeInstanceOf(ToolArgumentsError);
    expect(refused.fields).toEqual(expect.arrayContaining(['message']));
    expect((await firstValueFrom(env.callTool('echo_message', { message: 'ok' }))).value).toBe('ok');
    expect(await firstValueFrom(env.state())).toMatchObject({ step_count: 1 }); // only the call was a step
  });

  it('an LLM-style policy returns tool calls; episode() sends them as steps, tool errors are observations it can read', async () => {
    // Undeclared tools: a hallucinated name reaches the env, which answers tool_not_found (a declared
    // set would refuse it before sending, failing the episode with ToolArgumentsError).
    const Untyped = defineEnv({ name: 'echo_mcp' });
    const { env, close } = await openSession(Untyped.connect(server.url, { transport: 'ws' }));
    cleanups.push(close);
    const steps = await lastValueFrom(
      env
        .episode(
          (_obs, last) =>
            last.index === 0
              ? Echo.toolCall('echo_message', { message: 'first' })
              : last.index === 1
                ? Untyped.toolCall('echo_mesage', { message: 'typo' }) // a hallucinated tool name
                : Echo.toolCall('echo_with_length', { message: 'again' }),
          { maxSteps: 3 },
        )
        .pipe(toArray()),
    );
    expect(steps.map((s) => s.kind)).toEqual(['reset', 'step', 'step', 'step']);
    expect(steps[1]!.observation).toMatchObject({ tool_name: 'echo_message', result: { data: 'first' }, error: null });
    expect(steps[2]!.observation).toMatchObject({ tool_name: 'echo_mesage', error: { error_type: 'tool_not_found' } });
    expect(steps[3]).toMatchObject({ truncated: true, observation: { result: { data: { message: 'again', length: 5 } } } });
  });

  it('toolErrors: a ToolError by default, { ok: false, error } as a value on request; the session goes on', async () => {
    const Untyped = defineEnv({ name: 'echo_mcp' });
    const { env, failures, close } = await openSession(Untyped.connect(server.url, { transport: 'ws' }));
    cleanups.push(close);
    const thrown = await errorOf(env.callTool('nope', {}));
    expect(thrown).toBeInstanceOf(ToolError);
    const viaMcp = (await errorOf(env.callTool('nope', {}, { via: 'mcp' }))) as ToolError;
    expect(viaMcp).toMatchObject({ tool: 'nope', errorType: undefined, rpcCode: -32603, toolMessage: "Unknown tool: 'nope'", context: { request: 'mcp' } });
    const asValue = await firstValueFrom(env.callTool('nope', {}, { toolErrors: 'value' }));
    expect(asValue.ok).toBe(false);
    expect(asValue.ok === false && asValue.error).toBeInstanceOf(ToolError);
    expect((await firstValueFrom(env.callTool('echo_message', { message: 'still here' }))).value).toBe('still here');
    expect(failures).toEqual([]);
  });

  it('mcpSession over HTTP: an OpenEnv MCP session lives as long as the subscription', async () => {
    const { env, close } = await openSession(Echo.connect(server.url, { transport: 'http' }));
    cleanups.push(close);
    const deadline = Date.now() + 5000;
    // Sessions of the earlier tests close asynchronously: start from an idle server.
    while (server.activeSessions() !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const before = server.activeSessions();
    const session = await openSession(env.mcpSession());
    const mcp = session.env;
    expect(mcp.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.activeSessions()).toBe(before + 1);
    expect((await firstValueFrom(mcp.callTool('echo_message', { message: 'in a session' }))).value).toBe('in a session');
    expect((await firstValueFrom(mcp.listTools())).tools).toHaveLength(2);
    session.close();
    while (server.activeSessions() !== before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(server.activeSessions()).toBe(before);
  });
});
