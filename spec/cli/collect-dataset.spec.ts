import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFailures, readMetadata, readResults, useTempDirs } from '../fleet/support/collect-files.js';
import { runCliChild, spawnCli, type CliChild } from './cli-child.js';
import { pollUntil } from '../support/poll.js';

const gate = './spec/cli/fixtures/collect-gate-policy.mjs';
/** A number printed with float noise (`0.30000000000000004`, `0.7999999999999999`). */
const FLOAT_NOISE = /\d\.\d*(?:0{6,}|9{6,})\d/;

describe('openenv-rx collect: the dataset a directory holds (real child processes)', () => {
  const tempDir = useTempDirs();
  let running: CliChild | undefined;
  afterEach(async () => {
    await running?.stop('SIGKILL');
    running = undefined;
  });

  it('--resume of another env or policy is refused naming the field and both values; --force-resume overrides', async () => {
    const out = tempDir();
    const args = ['-o', out, '-n', '2', '-s', '1', '--max-steps', '1'];
    expect((await runCliChild(['collect', '--env', 'echo', ...args])).code).toBe(0);
    expect(readMetadata(out).dataset).toMatchObject({ env: 'echo', url: null, image: null, policy: 'random', seed: 0, max_steps: 1 });

    const otherEnv = await runCliChild(['collect', '--env', 'grid_world', ...args, '-n', '3', '--resume']);
    expect(otherEnv.code).toBe(1);
    expect(otherEnv.err).toMatch(/ERR_COLLECT_MISMATCH: .*env: "echo" then, "grid_world" now.*--force-resume/);
    const otherPolicy = await runCliChild(['collect', '--env', 'echo', '--policy', gate, ...args, '-n', '3', '--resume']);
    expect(otherPolicy.err).toMatch(/ERR_COLLECT_MISMATCH: .*policy: "random" then, "\.\/spec\/cli\/fixtures\/collect-gate-policy\.mjs" now/);
    expect(readResults(out)).toHaveLength(2); // nothing appended

    const forced = await runCliChild(['collect', '--env', 'echo', '--policy', gate, ...args, '-n', '3', '--force-resume']);
    expect({ code: forced.code, err: forced.code === 0 ? '' : forced.err }).toEqual({ code: 0, err: '' });
    expect(forced.out).toMatch(/planned 3: recorded 1 now \+ 2 before/);
    expect(readMetadata(out).runs[1]).toMatchObject({ forced: [{ field: 'policy', previous: 'random', current: gate }] });
  }, 90_000);

  it('SIGKILL mid-run, then --resume: metadata counts (the killed run too) come from the files', async () => {
    const out = tempDir();
    const gateDir = tempDir();
    const args = ['-o', out, '-n', '9', '-s', '2', '--max-steps', '2'];
    running = spawnCli(['collect', '--env', 'echo', '--policy', gate, ...args], { env: { COLLECT_GATE_DIR: gateDir, COLLECT_GATE_AFTER: '4' } });
    await pollUntil(() => readdirSync(gateDir).filter((f) => f.startsWith('blocked-')).length === 2, 'both sessions to block at the gate', { timeoutMs: 60_000 });
    running.child.kill('SIGKILL');
    expect(await running.exited).toBe(null);
    expect(readResults(out)).toHaveLength(4);

    const resumed = await runCliChild(['collect', '--env', 'echo', '--policy', gate, ...args, '--resume']);
    expect({ code: resumed.code, err: resumed.code === 0 ? '' : resumed.err }).toEqual({ code: 0, err: '' });
    const metadata = readMetadata(out);
    const lines = readResults(out).length;
    expect(lines).toBe(9);
    expect(metadata.counts).toEqual({ planned: 9, recorded: lines, missing: 0, failed_attempts: readFailures(out).length });
    expect(metadata.runs[0]).toMatchObject({ status: 'killed', recorded: 4, failed: 0, not_run: 5 });
    expect(metadata.runs[1]).toMatchObject({ status: 'completed', already_recorded: 4, recorded: 5 });
  }, 120_000);

  it('prints means without float noise (summary, progress and --json), and stores them exact', async () => {
    const out = tempDir();
    const args = ['collect', '--env', 'echo', '-o', out, '-n', '12', '-s', '2', '--max-steps', '3', '--seed', '3'];
    const json = await runCliChild([...args, '--json']);
    expect(json.code).toBe(0);
    expect(json.out).not.toMatch(FLOAT_NOISE);
    expect(json.err).not.toMatch(FLOAT_NOISE);
    const records = readResults(out);
    const exact = records.reduce((sum, r) => sum + r.reward, 0) / records.length;
    const stored = readMetadata(out).runs[0]!['mean_return'] as number;
    expect(stored).toBe(exact);
    expect((JSON.parse(json.out) as { meanReturn: number }).meanReturn).toBe(Number(exact.toPrecision(12)));
    // Records keep every reward as a float (a decimal point), so a reward column never reads as int64.
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8')).not.toMatch(/"reward":-?\d+[,}]/);
  }, 90_000);

  it('an output directory that cannot be created (/proc/nope) fails at once, typed, instead of spinning', async () => {
    const result = await runCliChild(['collect', '--env', 'echo', '-o', '/proc/nope/run', '-n', '1'], { timeoutMs: 20_000 });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/ERR_COLLECT_OUTPUT: Cannot create \/proc\/nope\/run/);
  }, 30_000);
});
