import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { plannedIds, readFailures, readMetadata, readResults, useTempDirs } from '../fleet/support/collect-files.js';
import { root, runCliChild, spawnCli, type CliChild } from './cli-child.js';
import { pollUntil } from '../support/poll.js';

const gate = './spec/cli/fixtures/collect-gate-policy.mjs';

/** spec/fleet/support/hold-server.ts as a child: our echo server whose "hold" steps never answer (HOLD=1). */
function holdServer(env: Record<string, string>): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const child = spawn(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', 'spec/fleet/support/hold-server.ts'], {
    cwd: root,
    env: { ...process.env, MAX_CONCURRENT_ENVS: '4', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`hold-server exited (${code}): ${output}`)));
  });
  return { child, url, output: () => output };
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

describe('openenv-rx collect: a server killed mid-run (real child processes)', () => {
  const tempDir = useTempDirs();
  const children: ChildProcess[] = [];
  let collector: CliChild | undefined;
  afterEach(async () => {
    await collector?.stop('SIGKILL');
    collector = undefined;
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await exited(child);
    }
  });

  it('the episodes in flight are recorded as failures (step_unknown), the run continues on the restarted server, --resume retries them', async () => {
    const first = holdServer({ HOLD: '1' });
    children.push(first.child);
    const url = await first.url;
    const out = tempDir();
    const gateDir = tempDir();
    const args = ['collect', '--url', url, '--policy', gate, '-o', out, '-n', '10', '-s', '2', '--max-steps', '2', '--seed', '2'];
    collector = spawnCli(args, { env: { COLLECT_GATE_DIR: gateDir, COLLECT_GATE_AFTER: '4', COLLECT_HOLD: '1' } });

    // Both sessions sent a "hold" step the server holds: every earlier episode is written.
    await pollUntil(() => (first.output().match(/holding a step/g) ?? []).length === 2, 'the server to hold two steps', { timeoutMs: 60_000 });
    expect(readResults(out)).toHaveLength(4);
    expect(readdirSync(gateDir).filter((f) => f.startsWith('blocked-'))).toHaveLength(2);
    first.child.kill('SIGKILL');
    await exited(first.child);
    // The same port again, answering everything: the pool reconnects (backing off meanwhile).
    const second = holdServer({ HOLD: '0', PORT: new URL(url).port });
    children.push(second.child);
    expect(await second.url).toBe(url);

    expect(await collector.exited).toBe(0);
    const stdout = collector.stdout();
    expect(stdout).toMatch(/planned 10: recorded 8 now \+ 0 before, failed 2 \(ERR_CONNECTION_CLOSED 2\), not run 0/);
    expect(stdout).toMatch(/--resume retries the 2 failed episode\(s\)/);
    expect(collector.stderr()).toMatch(/episode s2-e00000[45] failed: The episode failed; the outcome of the request in flight is unknown/);
    const failures = readFailures(out);
    expect(failures.map((f) => f.episode_id).sort()).toEqual(['s2-e000004', 's2-e000005']);
    for (const f of failures) expect(f).toMatchObject({ run: 1, steps: 0, step_unknown: true, server: url, error: { code: 'ERR_CONNECTION_CLOSED' } });
    const recorded = readResults(out).map((r) => r.episode_id);
    // Every planned episode is either recorded or reported failed, and never both.
    expect([...recorded, ...failures.map((f) => f.episode_id)].sort()).toEqual(plannedIds(2, 10));
    expect(readMetadata(out)).toMatchObject({ status: 'completed', counts: { planned: 10, recorded: 8, missing: 2, failed_attempts: 2 }, runs: [{ failed: 2, failures_by_code: { ERR_CONNECTION_CLOSED: 2 } }] });

    // The same dataset: the same policy (the gate never blocks without COLLECT_GATE_DIR).
    const resumed = await runCliChild(['collect', '--url', url, '--policy', gate, '-o', out, '-n', '10', '-s', '2', '--max-steps', '2', '--seed', '2', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/planned 10: recorded 2 now \+ 8 before, failed 0, not run 0/);
    expect(readResults(out).map((r) => r.episode_id).sort()).toEqual(plannedIds(2, 10));
    expect(readMetadata(out).counts).toMatchObject({ recorded: 10, missing: 0, failed_attempts: 2 });
  }, 120_000);
});
