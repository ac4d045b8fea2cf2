import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { firstValueFrom } from 'rxjs';
import { repoPath } from '../fixtures/test-image.js';
import { CLI_ENTRY } from '../cli/cli-child.js';
import { cli } from '../cli/cli-support.js';
import { Echo, openSession } from './support.js';

/** `openenv-rx serve echo_mcp` as a real child process: OpenEnv's clients, ours and the MCP SDK all reach its tools. */
describe('openenv-rx serve echo_mcp', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('serves the MCP echo: callTool over /ws, the SDK client over /mcp, the conformance checks with a list_tools action', async () => {
    child = spawn(process.execPath, [CLI_ENTRY, 'serve', 'echo_mcp', '--port', '0'], {
      cwd: repoPath('.'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15_000);
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child!.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });

    const { env, close } = await openSession(Echo.connect(url, { transport: 'ws' }));
    try {
      expect((await firstValueFrom(env.callTool('echo_with_length', { message: 'cli' }))).value).toEqual({ message: 'cli', length: 3 });
    } finally {
      close();
    }

    const sdk = new Client({ name: 'cli-test', version: '1.0.0' });
    await sdk.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    try {
      expect((await sdk.listTools()).tools.map((t) => t.name)).toEqual(['echo_message', 'echo_with_length']);
    } finally {
      await sdk.close();
    }

    const validated = await cli('validate', '--url', url, '--action', '{"type":"list_tools"}', '--json');
    const report = JSON.parse(validated.out) as { results: Array<{ id: string; ok: boolean }> };
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(validated.code).toBe(0);
  });
});

describe('openenv-rx rollout --env echo_mcp', () => {
  it('drives the tool env with a random tool-calling policy: list_tools first, then listed tools with sampled arguments', async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'rollout-mcp-'));
    try {
      const out = join(dir, 'steps.jsonl');
      const { code, err } = await cli('rollout', '--env', 'echo_mcp', '-n', '3', '-s', '2', '--seed', '4', '--max-steps', '5', '--out', out, '--json');
      expect({ code, err: err.includes('Error') ? err : '' }).toEqual({ code: 0, err: '' });
      const rows = (await readFile(out, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { kind: string; index: number; action?: { type: string; tool_name?: string }; observation: { error?: unknown } });
      const steps = rows.filter((r) => r.kind === 'step');
      expect(steps).toHaveLength(3 * 5);
      expect(steps.filter((r) => r.index === 1).map((r) => r.action!.type)).toEqual(['list_tools', 'list_tools', 'list_tools']);
      const calls = steps.filter((r) => r.index > 1);
      expect(calls.every((r) => r.action!.type === 'call_tool' && ['echo_message', 'echo_with_length'].includes(r.action!.tool_name!))).toBe(true);
      expect(calls.every((r) => r.observation.error === null)).toBe(true); // sampled arguments fit the listed schemas
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
