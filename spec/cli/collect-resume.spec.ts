import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plannedIds, readMetadata, readResults, useTempDirs } from '../fleet/support/collect-files.js';
import { runCliChild, spawnCli, type CliChild } from './cli-child.js';
import { pollUntil } from '../support/poll.js';

const gate = './spec/cli/fixtures/collect-gate-policy.mjs';
const blocked = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('blocked-')).length;
const lines = (dir: string) => readResults(dir).length;

describe('openenv-rx collect: killed and resumed (real child processes)', () => {
  const tempDir = useTempDirs();
  let running: CliChild | undefined;
  afterEach(async () => {
    await running?.stop('SIGKILL');
    running = undefined;
  });

  /** A collector whose sessions all block in the policy from episode `after` on, until the test opens the gate. */
  const gated = (args: string[], after: number) => {
    const gateDir = tempDir();
    const cli = spawnCli(['collect', '--env', 'echo', '--policy', gate, ...args], { env: { COLLECT_GATE_DIR: gateDir, COLLECT_GATE_AFTER: String(after) } });
    running = cli;
    return { cli, gateDir };
  };

  it('SIGKILL midway, a torn last line, then --resume: every planned id exactly once, the torn bytes cut, the killed run marked', async () => {
    const out = tempDir();
    const args = ['-o', out, '-n', '14', '-s', '3', '--max-steps', '2', '--seed', '3'];
    const { cli, gateDir } = gated(args, 5);
    // Three sessions blocked in gated episodes: every earlier episode has been written.
    await pollUntil(() => blocked(gateDir) === 3, 'the three sessions to block at the gate', { timeoutMs: 60_000 });
    expect(lines(out)).toBe(5);
    cli.child.kill('SIGKILL');
    expect(await cli.exited).toBe(null);
    expect(readMetadata(out).status).toBe('running'); // it never wrote its end
    // What a write cut by the kill would leave: a line without its newline.
    const torn = '{"episode_id":"s3-e000005","messages":[{"ro';
    appendFileSync(join(out, 'results.jsonl'), torn);

    const resumed = await runCliChild(['collect', '--env', 'echo', '--policy', gate, ...args, '--resume', '--json']);
    expect({ code: resumed.code, err: resumed.code === 0 ? '' : resumed.err }).toEqual({ code: 0, err: '' });
    expect(resumed.err).toContain(`run 2: 9 to run, 5 already recorded; results.jsonl: cut a torn last line (${torn.length} bytes)`);
    expect(JSON.parse(resumed.out)).toMatchObject({ run: 2, status: 'completed', alreadyRecorded: 5, recorded: 9, failed: 0, notRun: 0, repaired: [{ file: 'results.jsonl', bytes: torn.length }] });
    const ids = readResults(out).map((r) => r.episode_id);
    expect(ids).toHaveLength(14); // no duplicate
    expect([...ids].sort()).toEqual(plannedIds(3, 14)); // none missing
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8').split('\n').slice(0, -1).every((l) => l.endsWith('}'))).toBe(true);
    const metadata = readMetadata(out);
    expect(metadata.runs.map((r) => r.status)).toEqual(['killed', 'completed']);
    expect(metadata).toMatchObject({ status: 'completed', counts: { planned: 14, recorded: 14, missing: 0 } });
  }, 120_000);

  it('SIGINT closes everything, writes metadata, prints the summary, exits 130; --resume finishes the rest', async () => {
    const out = tempDir();
    const args = ['-o', out, '-n', '8', '-s', '2', '--max-steps', '2'];
    const { cli, gateDir } = gated(args, 3);
    await pollUntil(() => blocked(gateDir) === 2, 'both sessions to block at the gate', { timeoutMs: 60_000 });
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    expect(cli.stdout()).toMatch(/\(run 1, interrupted\)/);
    expect(cli.stdout()).toMatch(/planned 8: recorded 3 now \+ 0 before, failed 0, not run 5/);
    expect(cli.stdout()).toMatch(/5 episode\(s\) not run: --resume runs them/);
    expect(readMetadata(out)).toMatchObject({ status: 'interrupted', runs: [{ status: 'interrupted', recorded: 3, not_run: 5 }] });
    expect(lines(out)).toBe(3);

    // The same dataset: the same policy (the gate never blocks without COLLECT_GATE_DIR).
    const resumed = await runCliChild(['collect', '--env', 'echo', '--policy', gate, ...args, '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/planned 8: recorded 5 now \+ 3 before, failed 0, not run 0/);
    expect(readResults(out).map((r) => r.episode_id).sort()).toEqual(plannedIds(0, 8));
  }, 120_000);
});
