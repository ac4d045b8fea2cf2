import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { actionAsTool, agentToolsOf, chatPolicy, scriptedTeacher } from '../../src/agents/index.js';
import { loadEnvDefinition } from '../../src/cli/load-env-definition.js';
import { echoMcpEnv } from '../../src/envs/echo-mcp.js';
import { collect, type CollectSummary } from '../../src/fleet/collect.js';
import { perServer } from '../../src/fleet/pool-source.js';
import { withSession } from '../../src/operators/with-session.js';
import { inProcessEndpoint } from '../../src/server/lazy-in-process-endpoint.js';
import { defineEnv } from '../../src/session/define-env.js';
import { startLlmServer, type LlmServerProcess } from '../fixtures/llm-server-process.js';
import { describeWithOpenEnv, FIXTURES, requireVenv } from './support/openenv-venvs.js';

/**
 * Records an agent run writes (chatPolicy on echo_mcp, with a correction, a reply calling two tools
 * and non-ASCII arguments; the scripted teacher on a game env) read by OpenEnv 0.10 itself
 * (spec/interop/fixtures/agent_records_probe.py): its record model, its own builders of assistant
 * and tool turns, and a transformers-style tool-calling chat template.
 */
interface Report {
  dir: string;
  template_rejects: string[];
  records: Array<{ episode_id: string; problems: string[]; roles: string[]; tool_calls: number; rendered_chars?: number }>;
}

function probe(dirs: string[]): Promise<Report[]> {
  const venv = requireVenv('openenv');
  return new Promise((resolve, reject) => {
    execFile(venv.python, ['agent_records_probe.py', ...dirs], { cwd: FIXTURES, timeout: 200_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`agent_records_probe.py failed: ${error.message}\n${stderr.slice(-3000)}`));
      resolve(stdout.trim().split('\n').map((line) => JSON.parse(line) as Report));
    });
  });
}

const summaryOf = (run: ReturnType<typeof collect>): Promise<CollectSummary> =>
  lastValueFrom(run).then((event) => {
    if (event.type !== 'summary') throw new Error(`no summary: ${JSON.stringify(event)}`);
    return event.summary;
  });

describeWithOpenEnv('openenv')("agent records read by OpenEnv's own code (openenv 0.10)", () => {
  let llm: LlmServerProcess;
  const dirs: string[] = [];
  let chat: Report;
  let scripted: Report;

  beforeAll(async () => {
    requireVenv('openenv');
    llm = await startLlmServer();
    const EchoMcp = defineEnv({ name: 'echo_mcp' });
    const echo$ = perServer(inProcessEndpoint(echoMcpEnv, { maxSessions: 2 }), EchoMcp.fromEndpoint);
    const listed = await firstValueFrom(EchoMcp.fromEndpoint(inProcessEndpoint(echoMcpEnv)).pipe(withSession((env) => env.listTools({ via: 'mcp' }))));
    await llm.script([
      { content: 'Trying a tool.', toolCalls: [{ name: 'shout', arguments: { message: 'x' } }] },
      { content: null, toolCalls: [{ name: 'echo_message', arguments: { message: 'ünïcödé ✓' } }, { name: 'echo_with_length', arguments: { message: 'two calls' } }] },
    ]);
    const [chatDir, scriptedDir] = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'agent-records-')));
    dirs.push(chatDir!, scriptedDir!);
    const agent = chatPolicy({ baseURL: llm.baseURL, apiKey: 'sk-rx-interop', model: 'scripted-model', tools: agentToolsOf(listed.tools) });
    const coin = await loadEnvDefinition('./examples/cli/coin-env.mjs', '--env');
    const Coin = defineEnv({ name: 'coin' });
    const coin$ = perServer(inProcessEndpoint(coin, { maxSessions: 2 }), Coin.fromEndpoint);
    const { action } = await firstValueFrom(Coin.fromEndpoint(inProcessEndpoint(coin)).pipe(withSession((env) => env.schema())));
    const [a, b] = await Promise.all([
      summaryOf(collect(echo$, agent, { out: chatDir!, episodes: 3, sessions: 1, maxSteps: 3 })),
      summaryOf(collect(coin$, scriptedTeacher({ tools: [actionAsTool(action)] }), { out: scriptedDir!, episodes: 2, sessions: 2 })),
    ]);
    expect([a.recorded, b.recorded]).toEqual([3, 2]);
    [chat, scripted] = (await probe([chatDir!, scriptedDir!])) as [Report, Report];
  }, 240_000);
  afterAll(async () => {
    await llm?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('the chat template rejects malformed conversations (the check is not blind)', () => {
    expect(chat.template_rejects).toEqual([
      'rejected: unknown role robot',
      'rejected: a function call needs a name and its arguments as a JSON string',
      'rejected: tool turn answering no preceding call: b',
    ]);
  });

  it("chatPolicy records load into OpenEnv's EpisodeRecord/ToolTraceEntry/ToolResult, their turns equal OpenEnv's own builders', and render through the template", () => {
    expect(chat.records.map((r) => [r.episode_id, r.problems])).toEqual([
      ['s0-e000000', []],
      ['s0-e000001', []],
      ['s0-e000002', []],
    ]);
    // The first episode: a refused call answered back, then a reply calling two tools, run in order.
    expect(chat.records[0]!.roles).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'tool', 'assistant', 'tool']);
    expect(chat.records.map((r) => r.tool_calls)).toEqual([3, 3, 3]);
    expect(chat.records.every((r) => (r.rendered_chars ?? 0) > 0)).toBe(true);
  });

  it('scripted-teacher records of a game env (the action offered as one tool) do too', () => {
    expect(scripted.records.map((r) => r.problems)).toEqual([[], []]);
    expect(scripted.records.map((r) => r.tool_calls)).toEqual([10, 10]);
  });
});
