import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { spawnCli } from './cli-child.js';

const stall = './spec/cli/fixtures/stall-after-two-policy.mjs';
const tmp = mkdtempSync(join(tmpdir(), 'openenv-rx-interrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('openenv-rx rollout interrupted by Ctrl-C (a real child process and SIGINT)', () => {
  it('closes the sessions, prints the finished episodes as JSON marked interrupted, and exits with 130', async () => {
    const out = join(tmp, 'steps.jsonl');
    // The policy stalls from episode 2 on: once "2/10" is printed the run is provably mid-episode.
    const cli = spawnCli(['rollout', '--policy', stall, '-n', '10', '-s', '1', '--seed', '4', '--json', '--out', out]);
    await cli.waitFor(/2\/10 episodes/, 60_000);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    const report = JSON.parse(cli.stdout()) as RolloutReport;
    expect(report.interrupted).toBe(true);
    expect(report.episodes).toBe(10);
    expect(report.overall.episodes).toBe(2);
    expect(report.perEpisode.map((e) => [e.episodeIndex, e.seed, e.return, e.length, e.terminated])).toEqual([
      [0, 4, 0.3, 8, true],
      [1, 5, 0.3, 8, true],
    ]);
    // The trajectory file was flushed and holds the two episode rows.
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
    expect(rows.filter((r) => r.kind === 'episode')).toHaveLength(2);
  }, 90_000);

  it('prints the terminal summary marked interrupted', async () => {
    const cli = spawnCli(['rollout', '--policy', stall, '-n', '10', '-s', '1']);
    await cli.waitFor(/2\/10 episodes/, 60_000);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    expect(cli.stdout()).toMatch(/grid_world \(in-process\), policy .* \(interrupted\)/);
    expect(cli.stdout()).toMatch(/^all\s+2\s+0\.3/m);
    expect(cli.stdout()).toMatch(/interrupted: 2 of 10 episodes finished/);
  }, 90_000);
});
