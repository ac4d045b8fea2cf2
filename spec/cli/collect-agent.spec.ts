import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openaiBaseUrl } from '../../src/agents/openai-base-url.js';
import { playingEndpoint, startLlmServer, type LlmServerProcess } from '../fixtures/llm-server-process.js';
import { runCliChild } from './cli-child.js';
import { cli } from './cli-support.js';

/**
 * `openenv-rx collect` and `rollout` with an agent (`--provider`, `--llm-endpoint`, `--model`):
 * records whose `messages` and `tool_trace` have OpenEnv's shapes, the key never written or
 * printed, the scripted teacher with no key, an agent's bad episode recorded as a failure while a
 * wrong key stops the run.
 */
let llm: LlmServerProcess;
let dir: string;
beforeAll(async () => {
  llm = await startLlmServer();
}, 30_000);
afterAll(() => llm?.stop());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'collect-agent-'));
});
afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  await llm.reset();
});

type Json = Record<string, unknown>;
const records = (out: string): Json[] =>
  readFileSync(join(out, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Json);
const keysOf = (value: unknown) => Object.keys(value as Json).sort();

/** Runs `fn` with the OpenAI key variables of this process set (or removed), restoring them after. */
async function withKeyEnv<T>(values: { OPENAI_API_KEY?: string; API_KEY?: string }, fn: () => Promise<T>): Promise<T> {
  const saved = { OPENAI_API_KEY: process.env['OPENAI_API_KEY'], API_KEY: process.env['API_KEY'] };
  for (const name of ['OPENAI_API_KEY', 'API_KEY'] as const) {
    if (values[name] === undefined) delete process.env[name];
    else process.env[name] = values[name];
  }
  try {
    return await fn();
  } finally {
    for (const name of ['OPENAI_API_KEY', 'API_KEY'] as const) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

describe('collect with an agent', () => {
  it("--env echo_mcp --provider openai --llm-endpoint URL --model M -n 20 writes 20 records in OpenEnv's shapes; the key is sent, never written or printed", async () => {
    const endpoint = playingEndpoint(llm);
    const out = join(dir, 'run');
    const run = await runCliChild(['collect', '--env', 'echo_mcp', '--provider', 'openai', '--llm-endpoint', endpoint.baseURL, '--model', endpoint.model, '-n', '20', '-s', '4', '--max-steps', '3', '-o', out], {
      env: { OPENAI_API_KEY: endpoint.apiKey, API_KEY: '' },
    });
    expect(run).toMatchObject({ code: 0 });
    const written = records(out);
    expect(written).toHaveLength(20);
    for (const record of written) {
      const messages = record['messages'] as Json[];
      expect(messages.map((m) => m['role']).join(',')).toBe('system,user,assistant,tool,assistant,tool,assistant,tool');
      for (const message of messages) {
        if (message['role'] === 'assistant') {
          expect(keysOf(message)).toEqual(['content', 'role', 'tool_calls']);
          const calls = message['tool_calls'] as Json[];
          expect(calls.map(keysOf)).toEqual(calls.map(() => ['function', 'id', 'type']));
          expect(calls.every((c) => c['type'] === 'function' && keysOf(c['function']).join() === 'arguments,name' && typeof (c['function'] as Json)['arguments'] === 'string')).toBe(true);
        } else if (message['role'] === 'tool') expect(keysOf(message)).toEqual(['content', 'name', 'role', 'tool_call_id']);
        else expect(keysOf(message)).toEqual(['content', 'role']);
      }
      const trace = record['tool_trace'] as Json[];
      expect(trace).toHaveLength(3);
      for (const entry of trace) {
        expect(keysOf(entry)).toEqual(['arguments', 'result', 'tool_name']);
        expect(keysOf(entry['result'])).toEqual(['data', 'done', 'error', 'metadata']);
      }
      // Each tool turn answers the call before it, by id.
      const tools = messages.filter((m) => m['role'] === 'tool');
      const calls = messages.filter((m) => m['role'] === 'assistant').map((m) => (m['tool_calls'] as Json[])[0]!);
      expect(tools.map((t) => t['tool_call_id'])).toEqual(calls.map((c) => c['id']));
      expect(record['metrics']).toMatchObject({ turns: 3, tool_calls: 3, model_calls: 3, prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    }
    const metadata = JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8')) as { dataset: Json };
    expect(metadata.dataset).toMatchObject({ provider: 'openai-compatible', model: endpoint.model, llm_endpoint: openaiBaseUrl(endpoint.baseURL), max_steps: 3 });
    // The key reached the endpoint, and nothing the run wrote or printed holds it.
    if (!endpoint.real) expect(new Set((await llm.requests()).map((r) => r.authorization))).toEqual(new Set([`Bearer ${endpoint.apiKey}`]));
    for (const file of readdirSync(out)) expect(readFileSync(join(out, file), 'utf8')).not.toContain(endpoint.apiKey);
    expect(run.out + run.err).not.toContain(endpoint.apiKey);
  }, 90_000);

  it('--provider scripted needs no key: the first legal action of a game env, recorded as a tool-calling conversation; rollout takes the same flags', async () => {
    const out = join(dir, 'scripted');
    const run = await withKeyEnv({}, () => cli('collect', '--env', './examples/cli/coin-env.mjs', '--provider', 'scripted', '-n', '3', '-s', '2', '-o', out));
    expect(run).toMatchObject({ code: 0 });
    const written = records(out);
    expect(written).toHaveLength(3);
    for (const record of written) {
      const messages = record['messages'] as Json[];
      // 9 steps (OpenEnv's --max-turns default for agents) of the 10-flip game.
      expect(messages).toHaveLength(1 + 2 * 9);
      expect(messages[1]).toEqual({ role: 'assistant', content: 'Playing action_id=heads (first legal).', tool_calls: [{ id: 'scripted-heads', type: 'function', function: { name: 'act', arguments: '{"guess": "heads"}' } }] });
      expect((record['tool_trace'] as Json[]).every((e) => JSON.stringify(e['arguments']) === '{"guess":"heads"}')).toBe(true);
      expect(record['metrics']).not.toHaveProperty('model_calls');
      // The return is the sum of the rewards the tool results carried.
      const rewards = (record['tool_trace'] as Array<{ result: { metadata: { reward: number } } }>).map((e) => e.result.metadata.reward);
      expect(record['reward']).toBe(rewards.reduce((a, b) => a + b, 0));
    }
    const steps = join(dir, 'steps.jsonl');
    const rollout = await withKeyEnv({}, () => cli('rollout', '--env', 'echo_mcp', '--provider', 'scripted', '-n', '2', '-s', '1', '--max-steps', '2', '--json', '-o', steps));
    expect(rollout).toMatchObject({ code: 0 });
    expect(JSON.parse(rollout.out)).toMatchObject({ policy: 'scripted', steps: 4 });
    // rollout -o: each episode row carries the conversation, as collect's records do.
    const rows = readFileSync(steps, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json).filter((r) => r['kind'] === 'episode');
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect((row['messages'] as Json[]).map((m) => m['role']).join(',')).toBe('user,assistant,tool,assistant,tool');
      expect((row['tool_trace'] as Json[]).map((e) => e['tool_name'])).toEqual(['echo_message', 'echo_message']);
    }
    expect(await llm.requests()).toHaveLength(0);
  }, 60_000);

  it("an agent's bad episode (no valid tool call after the corrections) is a recorded failure and the run goes on; a wrong key (401) stops it", async () => {
    await llm.script([{ content: 'hmm' }, { content: 'still thinking' }, { content: 'no tool' }]);
    const out = join(dir, 'bad');
    const run = await withKeyEnv({ OPENAI_API_KEY: 'sk-rx-test' }, () =>
      cli('collect', '--env', 'echo_mcp', '--llm-endpoint', llm.url, '--model', 'm', '-n', '3', '-s', '1', '--max-steps', '1', '-o', out, '--json'),
    );
    expect(run).toMatchObject({ code: 0 });
    expect(JSON.parse(run.out)).toMatchObject({ recorded: 2, failed: 1, failures: { ERR_AGENT_REPLY: 1 } });
    const failures = readFileSync(join(out, 'failures.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { error: { code: string } });
    expect(failures.map((f) => f.error.code)).toEqual(['ERR_AGENT_REPLY']);
    await llm.reset();
    await llm.script([{ status: 401, message: 'Incorrect API key provided' }]);
    const denied = await withKeyEnv({ OPENAI_API_KEY: 'sk-rx-wrong-key-55' }, () =>
      cli('collect', '--env', 'echo_mcp', '--llm-endpoint', llm.url, '--model', 'm', '-n', '3', '-s', '1', '-o', join(dir, 'denied')),
    );
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/ERR_POLICY[\s\S]*HTTP 401/);
    expect(denied.err + denied.out).not.toContain('sk-rx-wrong-key-55');
    const both = await cli('collect', '--env', 'echo_mcp', '--provider', 'scripted', '--policy', './examples/cli/greedy-grid-policy.mjs', '-o', join(dir, 'both'));
    expect(both.code).toBe(1);
    expect(both.err).toContain('both choose the actions');
  }, 60_000);
});
