import { firstValueFrom, lastValueFrom, merge, toArray } from 'rxjs';
import { actionAsTool, agentToolsOf, CallLimiter, chatPolicy, scriptedTeacher, type AgentPolicy, type AgentTool, type ChatPolicyOptions } from '../../src/agents/index.js';
import { loadOpenAI } from '../../src/agents/openai-client.js';
import { openaiBaseUrl } from '../../src/agents/openai-base-url.js';
import { pythonJsonDumps } from '../../src/agents/python-json.js';
import { echoMcpEnv } from '../../src/envs/echo-mcp.js';
import { freePort } from '../../src/runtime/process/free-port.js';
import { AgentReplyError, LlmRequestError, LlmTimeoutError, OptionalDependencyError, PolicyError } from '../../src/errors/index.js';
import type { ChatMessage } from '../../src/fleet/collect-record.js';
import { transcriberOf } from '../../src/fleet/episode-transcript.js';
import { withSession } from '../../src/operators/with-session.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { defineEnv } from '../../src/session/define-env.js';
import type { EpisodeStep } from '../../src/session/types.js';
import { playingEndpoint, startLlmServer, type LlmServerProcess } from '../fixtures/llm-server-process.js';
import { loadEnvDefinition } from '../../src/cli/load-env-definition.js';

/**
 * chatPolicy against a real OpenAI-compatible server process (spec/fixtures/llm-server.mjs, or the
 * endpoint OPENAI_BASE_URL names for the cases that only need a model that plays) and a real
 * echo_mcp server on 127.0.0.1: tool calls become steps, bad replies are answered back and then
 * fail typed, 429/5xx are retried honouring Retry-After, a hung request times out.
 */
const Echo = defineEnv({ name: 'echo_mcp' });
const Coin = defineEnv({ name: 'coin' });
type Step = EpisodeStep<Record<string, unknown>, unknown>;

let llm: LlmServerProcess;
let echo: RunningServer;
let coin: RunningServer;
let tools: AgentTool[];

beforeAll(async () => {
  [llm, echo, coin] = await Promise.all([startLlmServer(), serve(echoMcpEnv, { maxSessions: 8 }), loadEnvDefinition('./examples/cli/coin-env.mjs', '--env').then((definition) => serve(definition, { maxSessions: 4 }))]);
  const listed = await firstValueFrom(Echo.connect(echo.url).pipe(withSession((env) => env.listTools({ via: 'mcp' }))));
  tools = agentToolsOf(listed.tools);
}, 60_000);
afterAll(async () => {
  await Promise.all([llm?.stop(), echo?.close(), coin?.close()]);
});
afterEach(() => llm.reset());

const local = (extra: Partial<ChatPolicyOptions> = {}): AgentPolicy =>
  chatPolicy({ baseURL: llm.baseURL, apiKey: 'sk-test-local', model: 'scripted-model', tools, maxRetries: 2, stepTimeoutMs: 10_000, ...extra });

/** One episode on a fresh echo_mcp session: its steps, or the error it failed with. */
const play = (policy: AgentPolicy, maxSteps: number): Promise<Step[]> =>
  lastValueFrom(Echo.connect(echo.url).pipe(withSession((env) => env.episode(policy, { maxSteps, seed: 1 }).pipe(toArray())))) as Promise<Step[]>;
const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('expected a failure'), (error: unknown) => error);
const roles = (messages: ChatMessage[]) => messages.map((m) => m.role).join(',');

describe('chatPolicy', () => {
  it('plays echo_mcp: each tool call becomes a call_tool step, the conversation is recorded in OpenEnv shapes with token usage', async () => {
    const endpoint = playingEndpoint(llm);
    const policy = chatPolicy({ ...endpoint, tools, maxTokens: 100, temperature: 0 });
    const steps = await play(policy, 3);
    expect(steps).toHaveLength(4);
    const transcript = transcriberOf(policy)!.finish(steps.at(-1)! as EpisodeStep<unknown, unknown>)!;
    expect(roles(transcript.messages)).toBe('system,user,assistant,tool,assistant,tool,assistant,tool');
    expect(transcript.toolTrace).toHaveLength(3);
    for (const [i, step] of steps.slice(1).entries()) {
      const assistant = transcript.messages[2 + 2 * i] as Extract<ChatMessage, { role: 'assistant' }>;
      const tool = transcript.messages[3 + 2 * i] as Extract<ChatMessage, { role: 'tool' }>;
      const call = assistant.tool_calls![0]!;
      const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
      // What the model called is what the env ran, and the env's result answers that call.
      expect(step.action).toEqual({ type: 'call_tool', tool_name: call.function.name, arguments: args });
      expect(call.function.arguments).toBe(pythonJsonDumps(args));
      expect(tool).toMatchObject({ tool_call_id: call.id, name: call.function.name });
      const data = (step.observation as { result: { data: unknown } }).result.data;
      expect(transcript.toolTrace[i]).toEqual({ tool_name: call.function.name, arguments: args, result: { data, done: false, metadata: { step: i + 1, reward: null }, error: null } });
      expect(tool.content).toBe(typeof data === 'string' ? data : pythonJsonDumps(data, true));
    }
    expect(transcript.usage!.model_calls).toBe(3);
    expect(transcript.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(transcript.usage!.total_tokens).toBe(transcript.usage!.prompt_tokens + transcript.usage!.completion_tokens);
    if (!endpoint.real) {
      const requests = await llm.requests();
      expect(requests).toHaveLength(3);
      expect(requests[0]!.authorization).toBe('Bearer sk-rx-local-SECRET-7f3a9');
      expect(requests[0]!.body).toMatchObject({ model: 'scripted-model', max_tokens: 100, temperature: 0 });
      expect(requests[0]!.body.tools!.map((t) => t.function.name)).toEqual(['echo_message', 'echo_with_length']);
      // Each request carries the conversation so far: the previous tool result included.
      expect(requests[2]!.body.messages).toEqual(transcript.messages.slice(0, 6));
      expect(transcript.messages[3]).toMatchObject({ role: 'tool', content: 'hello 1' });
    }
  });

  it('streams (stream: true): SSE chunks, tool-call arguments split over chunks, usage from the last chunk', async () => {
    const policy = local({ stream: true });
    await llm.script([{ content: 'Let me echo.', toolCalls: [{ name: 'echo_with_length', arguments: { message: 'streamed ünïcode' } }] }]);
    const steps = await play(policy, 1);
    expect(steps[1]!.action).toEqual({ type: 'call_tool', tool_name: 'echo_with_length', arguments: { message: 'streamed ünïcode' } });
    expect(steps[1]!.observation).toMatchObject({ result: { data: { message: 'streamed ünïcode', length: 16 } } });
    const transcript = transcriberOf(policy)!.finish(steps[1]! as EpisodeStep<unknown, unknown>)!;
    expect(transcript.messages[2]).toEqual({
      role: 'assistant',
      content: 'Let me echo.',
      tool_calls: [{ id: 'call_1_0', type: 'function', function: { name: 'echo_with_length', arguments: '{"message": "streamed \\u00fcn\\u00efcode"}' } }],
    });
    expect(transcript.messages[3]).toEqual({ role: 'tool', tool_call_id: 'call_1_0', name: 'echo_with_length', content: '{"length": 16, "message": "streamed \\u00fcn\\u00efcode"}' });
    expect(transcript.usage!.prompt_tokens).toBeGreaterThan(0);
    const [request] = await llm.requests();
    expect(request!.stream).toBe(true);
    expect(request!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('answers bad replies back (unknown tool, arguments that fail the schema, no tool call) and then plays the good one; nothing bad reaches the env', async () => {
    const policy = local({ maxCorrections: 3 });
    await llm.script([
      { content: null, toolCalls: [{ name: 'shout', arguments: { message: 'x' } }] },
      { content: null, toolCalls: [{ name: 'echo_message', arguments: { msg: 42 } }] },
      { content: 'I think I am done.' },
      { content: null, toolCalls: [{ name: 'echo_message', arguments: { message: 'finally' } }] },
    ]);
    const steps = await play(policy, 1);
    expect(steps.map((s) => s.action)).toEqual([undefined, { type: 'call_tool', tool_name: 'echo_message', arguments: { message: 'finally' } }]);
    const requests = await llm.requests();
    expect(requests).toHaveLength(4);
    const sent = requests[3]!.body.messages;
    expect(sent.map((m) => m['role']).join(',')).toBe('system,user,assistant,tool,assistant,tool,assistant,user');
    expect(sent[3]).toMatchObject({ role: 'tool', tool_call_id: 'call_1_0', name: 'shout', content: expect.stringContaining('Unknown tool "shout"') });
    expect(sent[5]).toMatchObject({ role: 'tool', tool_call_id: 'call_2_0', name: 'echo_message', content: expect.stringMatching(/validation errors? for call\[echo_message\][\s\S]*message/) });
    expect(sent[7]).toEqual({ role: 'user', content: 'Call one of the tools (echo_message, echo_with_length) to act.' });
    const transcript = transcriberOf(policy)!.finish(steps[1]! as EpisodeStep<unknown, unknown>)!;
    expect(transcript.toolTrace).toHaveLength(1);
  });

  it('fails the step with AgentReplyError after maxCorrections answered bad replies', async () => {
    const policy = local({ maxCorrections: 1 });
    await llm.script([{ content: null, toolCalls: [{ name: 'echo_message', arguments: '{"message": ' }] }, { content: 'no' }]);
    const error = await failure(play(policy, 2));
    expect(error).toBeInstanceOf(PolicyError);
    const cause = (error as PolicyError).cause as AgentReplyError;
    expect(cause).toBeInstanceOf(AgentReplyError);
    expect(cause.code).toBe('ERR_AGENT_REPLY');
    expect(cause.problems).toEqual([expect.stringContaining('not valid JSON'), 'the reply called no tool']);
    expect(await llm.requests()).toHaveLength(2);
  });

  it('retries a 429 after its Retry-After and 5xx with backoff; gives up typed (retriable) after maxRetries', async () => {
    await llm.script([{ status: 429, headers: { 'retry-after': '1' } }, { status: 503, headers: { 'retry-after-ms': '10' } }]);
    const steps = await play(local(), 1);
    expect(steps).toHaveLength(2);
    const requests = await llm.requests();
    expect(requests).toHaveLength(3);
    // Retry-After: 1 (s) was honoured: the client's own backoff would have waited at most ~0.5 s.
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(950);
    await llm.reset();
    await llm.script([0, 1, 2].map(() => ({ status: 500, headers: { 'retry-after-ms': '10' }, message: 'model crashed' })));
    const error = (await failure(play(local(), 1))) as PolicyError;
    const cause = error.cause as LlmRequestError;
    expect(cause).toBeInstanceOf(LlmRequestError);
    expect(cause).toMatchObject({ code: 'ERR_LLM_REQUEST', status: 500, retriable: true });
    expect(cause.message).toContain('model crashed');
    expect(await llm.requests()).toHaveLength(3);
  });

  it('does not retry a 401 (a wrong key stops a run: not retriable) and never puts the key in the error', async () => {
    await llm.script([{ status: 401, message: 'Incorrect API key provided' }]);
    const error = (await failure(play(local({ apiKey: 'sk-secret-401' }), 1))) as PolicyError;
    expect(error.cause).toMatchObject({ code: 'ERR_LLM_REQUEST', status: 401, retriable: false });
    expect(JSON.stringify({ message: error.message, cause: (error.cause as Error).message, context: error.context })).not.toContain('sk-secret-401');
    expect(await llm.requests()).toHaveLength(1);
  });

  it('an endpoint nobody listens on is LlmRequestError without a status, retriable (one episode fails, a collection goes on)', async () => {
    const port = await freePort();
    const error = (await failure(play(local({ baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 1 }), 1))) as PolicyError;
    expect(error.cause).toBeInstanceOf(LlmRequestError);
    expect(error.cause).toMatchObject({ code: 'ERR_LLM_REQUEST', status: undefined, retriable: true, message: expect.stringContaining('could not be reached') });
  });

  it('times a hung request out after stepTimeoutMs (LlmTimeoutError) and closes its socket', async () => {
    await llm.script([{ hang: true }]);
    const started = Date.now();
    const error = (await failure(play(local({ stepTimeoutMs: 300, maxRetries: 0 }), 1))) as PolicyError;
    expect(error.cause).toBeInstanceOf(LlmTimeoutError);
    expect(error.cause).toMatchObject({ code: 'ERR_LLM_TIMEOUT', timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(8_000);
    // The aborted request's socket closes: the server sees no request left open (bounded poll).
    const deadline = Date.now() + 10_000;
    while ((await llm.inFlight()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await llm.inFlight()).toBe(0);
  });

  it('keeps at most maxConcurrentRequests model calls in flight over parallel episodes, and bounds the history it sends', async () => {
    await llm.script([], 100);
    const policy = local({ maxConcurrentRequests: 2, maxHistoryMessages: 4 });
    const runs = await lastValueFrom(merge(...[0, 1, 2, 3, 4].map(() => Echo.connect(echo.url).pipe(withSession((env) => env.episode(policy, { maxSteps: 3 }).pipe(toArray()))))).pipe(toArray()));
    expect(runs.map((r) => r.length)).toEqual([4, 4, 4, 4, 4]);
    expect(await llm.maxInFlight()).toBe(2);
    const requests = await llm.requests();
    expect(requests).toHaveLength(15);
    for (const request of requests) {
      const messages = request.body.messages;
      expect(messages.length).toBeLessThanOrEqual(2 + 4);
      expect(messages.slice(0, 2).map((m) => m['role'])).toEqual(['system', 'user']);
      expect(messages[2]?.['role'] ?? 'assistant').toBe('assistant');
    }
  });

  it('a CallLimiter shared by two policies caps the requests to their endpoint over both', async () => {
    await llm.script([], 100);
    const limiter = new CallLimiter(2);
    const policies = [local({ limiter }), local({ limiter })];
    const runs = await lastValueFrom(merge(...[0, 1, 2, 3].map((i) => Echo.connect(echo.url).pipe(withSession((env) => env.episode(policies[i % 2]!, { maxSteps: 2 }).pipe(toArray()))))).pipe(toArray()));
    expect(runs.map((r) => r.length)).toEqual([3, 3, 3, 3]);
    expect(await llm.maxInFlight()).toBe(2);
    expect(limiter.queued).toBe(0);
  });

  it('refuses bad options and a missing openai package with typed errors', async () => {
    expect(() => chatPolicy({ model: '', tools })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'model' }));
    expect(() => chatPolicy({ model: 'm', tools: [] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'tools' }));
    expect(() => openaiBaseUrl('http://user:pw@127.0.0.1:1')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(openaiBaseUrl('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/v1');
    expect(openaiBaseUrl('http://127.0.0.1:8000/openai/v1/')).toBe('http://127.0.0.1:8000/openai/v1');
    const missing = await failure(loadOpenAI(() => Promise.reject(Object.assign(new Error("Cannot find package 'openai'"), { code: 'ERR_MODULE_NOT_FOUND' }))));
    expect(missing).toBeInstanceOf(OptionalDependencyError);
    expect(missing).toMatchObject({ code: 'ERR_OPTIONAL_DEPENDENCY', packageName: 'openai', message: expect.stringContaining('npm install openai') });
  });
});

describe('scriptedTeacher', () => {
  it("plays a game env as OpenEnv's scripted teacher does: the first legal action, recorded as a tool-calling conversation", async () => {
    const { action } = await firstValueFrom(Coin.connect(coin.url).pipe(withSession((env) => env.schema())));
    const policy = scriptedTeacher({ tools: [actionAsTool(action)] });
    const steps = (await lastValueFrom(Coin.connect(coin.url).pipe(withSession((env) => env.episode(policy, { seed: 3 }).pipe(toArray()))))) as Step[];
    expect(steps).toHaveLength(11);
    expect(steps.slice(1).every((s) => (s.action as { guess?: string }).guess === 'heads')).toBe(true);
    const transcript = transcriberOf(policy)!.finish(steps.at(-1)! as EpisodeStep<unknown, unknown>)!;
    expect(transcript.messages).toHaveLength(1 + 2 * 10);
    expect(transcript.messages[1]).toEqual({ role: 'assistant', content: 'Playing action_id=heads (first legal).', tool_calls: [{ id: 'scripted-heads', type: 'function', function: { name: 'act', arguments: '{"guess": "heads"}' } }] });
    const last = transcript.toolTrace.at(-1)!;
    expect(last).toMatchObject({ tool_name: 'act', arguments: { guess: 'heads' }, result: { done: true, metadata: { step: 10 }, error: null } });
    expect(last.result.data).toEqual({ tool_name: 'act', arguments: { guess: 'heads' }, observation: steps.at(-1)!.observation, reward: steps.at(-1)!.reward, done: true });
    expect(transcript.usage).toBeUndefined();
  });
});
