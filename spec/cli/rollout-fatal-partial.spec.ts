import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { pollUntil } from '../support/poll.js';
import { serveCli, spawnCli, type CliChild } from './cli-child.js';

const gated = './spec/cli/fixtures/gated-after-k-policy.mjs';
/** Episodes the policy walks to the goal before it holds every session at the gate. */
const K = 5;
const tmp = mkdtempSync(join(tmpdir(), 'openenv-rx-fatal-partial-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * `openenv-rx serve grid_world` and a `rollout --url` against it, both real child processes. Once
 * the policy holds both sessions at the gate (episodes K and K+1 past their reset), exactly K
 * episodes were served to the goal: the server is SIGKILLed, then the gate opens. Every later
 * session finds the port closed, so the run ends on a fatal ERR_CONNECTION*.
 */
async function rolloutUntilServerKilled(name: string, extra: string[]): Promise<{ cli: CliChild; code: number | null }> {
  const { cli: server, url } = await serveCli(['grid_world', '--port', '0']);
  const gate = join(tmp, name);
  const cli = spawnCli(['rollout', '--url', url, '-n', '50', '-s', '2', '--policy', gated, ...extra], {
    env: { OPENENV_RX_TEST_GATE: gate, OPENENV_RX_TEST_GATE_AFTER: String(K) },
  });
  try {
    await pollUntil(() => existsSync(`${gate}.waiting-${K}`) && existsSync(`${gate}.waiting-${K + 1}`), 'both sessions held at the gate', { timeoutMs: 60_000, intervalMs: 50 });
    expect(await server.stop('SIGKILL')).toBeNull();
  } finally {
    await server.stop('SIGKILL');
    // Opened after the kill (or a failed wait): the held decisions go on and meet the dead server.
    writeFileSync(gate, '');
  }
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 60_000);
  const code = await cli.exited;
  clearTimeout(timer);
  return { cli, code };
}

describe('openenv-rx rollout ended by a fatal fault (a real server process SIGKILLed mid-run)', () => {
  it('--json: prints the report of the finished episodes marked partial, with the error, then the typed error; exit 1', async () => {
    const out = join(tmp, 'steps.jsonl');
    const { cli, code } = await rolloutUntilServerKilled('json-gate', ['--json', '--seed', '3', '--out', out]);
    expect(code).toBe(1);
    expect(cli.stderr()).toMatch(/openenv-rx: ERR_CONNECTION\w*: .*\[http:\/\/127\.0\.0\.1:\d+/);
    const report = JSON.parse(cli.stdout()) as RolloutReport;
    expect(report).toMatchObject({ episodes: 50, partial: true, interrupted: false, error: { code: expect.stringMatching(/^ERR_CONNECTION/) } });
    expect(report.error!.message).toMatch(/127\.0\.0\.1/);
    // Exactly the K episodes the server served to the goal, then the two it held when it died.
    const finished = report.perEpisode.filter((e) => !e.failed);
    expect(finished.map((e) => [e.episodeIndex, e.seed, e.return, e.length, e.terminated])).toEqual(
      Array.from({ length: K }, (_, i) => [i, 3 + i, 0.3, 8, true]),
    );
    expect(report.perEpisode.filter((e) => e.failed).map((e) => e.episodeIndex).sort()).toEqual([K, K + 1]);
    expect(report.overall).toMatchObject({ done: K, failed: 2, return: { mean: 0.3 }, length: { mean: 8 } });
    // Both sessions were lost once; every later attempt was a replacement that failed, not a loss.
    expect(report.capacity).toMatchObject({ lost: 2, replaced: 0 });
    expect(report.capacity.failedReplacements).toBeGreaterThanOrEqual(1);
    expect(report.steps).toBeGreaterThanOrEqual(K * 8);
    // The trajectory file was flushed: one episode row per reported episode.
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
    expect(rows.filter((r) => r.kind === 'episode')).toHaveLength(report.perEpisode.length);
  }, 120_000);

  it('terminal: the summary table of the finished episodes, "K of 50 episodes finished before the run failed", then the error', async () => {
    const { cli, code } = await rolloutUntilServerKilled('text-gate', []);
    expect(code).toBe(1);
    const stdout = cli.stdout();
    expect(stdout).toMatch(/http:\/\/127\.0\.0\.1:\d+, policy .* \(failed\)/);
    expect(stdout).toMatch(new RegExp(`^all\\s+${K + 2}\\s+0\\.3\\s`, 'm'));
    expect(stdout).toMatch(new RegExp(`failed: ${K} of 50 episodes finished before the run failed \\(ERR_CONNECTION\\w*; 2 failed with their session, ${50 - K - 2} not run\\)`));
    // The server never came back: its sessions were lost, by code, and none was replaced.
    expect(stdout).toMatch(/2 session\(s\) lost \(ERR_[A-Z_]+ \d+(, ERR_[A-Z_]+ \d+)*\), none replaced \(\d+ replacement attempt\(s\) failed\)/);
    expect(cli.stderr()).toMatch(/^session [01] lost \(replacing it in \d+ ms\): ERR_CONNECTION\w*: /m);
    // The error itself stays on stderr, after the summary, with its code and context.
    expect(cli.stderr()).toMatch(/openenv-rx: ERR_CONNECTION\w*: .*\[http:\/\/127\.0\.0\.1:\d+/);
  }, 120_000);
});
