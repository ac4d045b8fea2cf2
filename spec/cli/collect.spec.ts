import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectSummary } from '../../src/fleet/collect.js';
import { plannedIds, readFailures, readMetadata, readResults, useTempDirs } from '../fleet/support/collect-files.js';
import { runCliChild, useCliServers } from './cli-child.js';

type JsonSummary = CollectSummary & { target: string };

describe('openenv-rx collect (real child processes)', () => {
  const tempDir = useTempDirs();
  const serve = useCliServers();

  it('built-in env in-process, random policy, shards: records, shard files, metadata and a JSON summary with phase percentiles', async () => {
    const out = join(tempDir(), 'run');
    const { code, out: stdout, err } = await runCliChild(['collect', '--env', 'echo', '-o', out, '-n', '9', '-s', '3', '--max-steps', '2', '--seed', '5', '--shard-size', '4', '--json']);
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    const summary = JSON.parse(stdout) as JsonSummary;
    expect(summary).toMatchObject({ target: 'echo (in-process)', status: 'completed', planned: 9, recorded: 9, failed: 0, notRun: 0, steps: 18 });
    expect(summary.files).toEqual(['results-00000.jsonl', 'results-00001.jsonl', 'results-00002.jsonl']);
    expect(Object.keys(summary.latency)).toEqual(['server', 'connect', 'first_reset', 'reset', 'step', 'policy', 'episode']);
    for (const phase of Object.values(summary.latency)) expect(phase.p50).toBeLessThanOrEqual(phase.p99);

    const records = readResults(out);
    expect(records.map((r) => r.episode_id).sort()).toEqual(plannedIds(5, 9));
    for (const r of records) {
      expect(r.file).toBe(`results-0000${Math.floor(r.extra.episode_index / 4)}.jsonl`);
      expect(r.task.seed).toBe(5 + r.extra.episode_index);
      expect(r.metrics).toMatchObject({ steps: 2, truncated: true });
      // The random policy's message comes back echoed: user turns echo the assistant turns.
      const said = JSON.parse(r.messages[1]!.content as string) as { message: string };
      expect(JSON.parse(r.messages[2]!.content as string)).toMatchObject({ echoed_message: said.message });
    }
    expect(readMetadata(out)).toMatchObject({
      status: 'completed',
      config: { target: 'echo (in-process)', policy: 'random', episodes: 9, sessions: 3, seed: 5, max_steps: 2, shard_size: 4 },
      counts: { planned: 9, recorded: 9, missing: 0 },
    });
    expect(readFileSync(join(out, 'failures.jsonl'), 'utf8')).toBe('');
    // Progress went to stderr: the non-TTY lines carry episodes/s, failures and the mean return.
    expect(err).toMatch(/9\/9 episodes {2}0 failed {2}[\d.]+ episodes\/s {2}mean return [\d.]+/);
    expect(existsSync(join(out, '.collect.lock'))).toBe(false);
  }, 90_000);

  it('a tool env (serve echo_mcp): list_tools, then tool calls recorded in tool_trace and as tool_calls/tool messages', async () => {
    const { url } = await serve(['echo_mcp', '--port', '0', '--max-sessions', '2']);
    const out = tempDir();
    const { code, out: stdout, err } = await runCliChild(['collect', '--url', url, '-o', out, '-n', '4', '-s', '2', '--max-steps', '3', '--seed', '1']);
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    expect(stdout).toMatch(/planned 4: recorded 4 now \+ 0 before, failed 0, not run 0/);
    expect(stdout).toMatch(/^step\s+12\s/m); // the latency table
    const records = readResults(out);
    expect(records).toHaveLength(4);
    for (const r of records) {
      // Step 1 lists the tools (not a tool call); steps 2 and 3 call one.
      expect(JSON.parse(r.messages[1]!.content as string)).toEqual({ type: 'list_tools' });
      expect(r.tool_trace).toHaveLength(2);
      r.tool_trace.forEach((entry, i) => {
        expect(['echo_message', 'echo_with_length']).toContain(entry.tool_name);
        expect(entry).toMatchObject({ arguments: { message: expect.any(String) }, result: { done: false, error: null, metadata: { step: i + 2 } } });
        const data = JSON.stringify(entry.result.data);
        expect(data).toContain(JSON.stringify(entry.arguments['message']).slice(1, -1)); // the echo of the argument
      });
      const calls = r.messages.filter((m) => m.role === 'assistant' && 'tool_calls' in m && m.tool_calls);
      const results = r.messages.filter((m) => m.role === 'tool');
      expect(calls).toHaveLength(2);
      expect(results.map((m) => (m as { tool_call_id: string }).tool_call_id)).toEqual(['call_2', 'call_3']);
    }
  }, 90_000);

  it('refuses an output directory that holds a collection unless --resume, with the typed error', async () => {
    const out = tempDir();
    expect((await runCliChild(['collect', '--env', 'echo', '-o', out, '-n', '2', '-s', '1', '--max-steps', '1'])).code).toBe(0);
    const again = await runCliChild(['collect', '--env', 'echo', '-o', out, '-n', '2', '-s', '1', '--max-steps', '1']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/openenv-rx: ERR_COLLECT_OUTPUT: .* already holds a collection/);
    const other = await runCliChild(['collect', '--env', 'echo', '-o', out, '-n', '3', '-s', '1', '--max-steps', '1', '--resume', '--seed', '9']);
    expect(other.err).toMatch(/ERR_COLLECT_MISMATCH: .*seed: 0 then, 9 now/);
    const resumed = await runCliChild(['collect', '--env', 'echo', '-o', out, '-n', '3', '-s', '1', '--max-steps', '1', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/planned 3: recorded 1 now \+ 2 before/);
    expect(readFailures(out)).toEqual([]);
  }, 90_000);
});
