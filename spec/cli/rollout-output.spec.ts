import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EpisodeRow, RolloutReport } from '../../src/cli/commands/rollout.js';
import { CLI_ENTRY, root, runCliChild, serveCli } from './cli-child.js';

const tmp = mkdtempSync(join(tmpdir(), 'openenv-rx-output-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('openenv-rx output a user can plot (real processes)', () => {
  it('--json and --out carry one row per episode that matches the recorded steps', async () => {
    const out = join(tmp, 'run.jsonl');
    const { code, out: stdout } = await runCliChild(['rollout', '--env', 'frozen_lake', '-n', '5', '-s', '2', '--seed', '10', '--max-steps', '15', '--out', out, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as RolloutReport;
    expect(report.perEpisode.map((e) => e.episodeIndex)).toEqual([0, 1, 2, 3, 4]);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const fileRows = lines.filter((l) => l['kind'] === 'episode') as unknown as Array<EpisodeRow & { kind: string }>;
    expect(fileRows.map(({ kind: _k, ...row }) => row).sort((a, b) => a.episodeIndex - b.episodeIndex)).toEqual(report.perEpisode);
    for (const row of report.perEpisode) {
      const steps = lines.filter((l) => l['episodeId'] === row.episodeId && l['kind'] === 'step');
      expect(row).toEqual({
        sessionIndex: steps[0]!['sessionIndex'],
        episodeIndex: row.episodeIndex,
        seed: 10 + row.episodeIndex,
        episodeId: row.episodeId,
        return: steps.reduce((n, s) => n + ((s['reward'] as number | null) ?? 0), 0),
        length: steps.length,
        terminated: steps.at(-1)!['done'],
        truncated: steps.at(-1)!['truncated'],
        wallMs: expect.any(Number),
      });
      expect(row.wallMs).toBeGreaterThan(0);
      expect(row.terminated !== row.truncated).toBe(true);
    }
  }, 60_000);

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const { code, out } = await runCliChild(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toBe(version);
  }, 30_000);
});

describe('openenv-rx validate on a terminal (a real pseudo-terminal via script(1))', () => {
  it('prints each check once', async () => {
    const { cli, url } = await serveCli(['echo', '--port', '0']);
    try {
      const command = `${process.execPath} ${CLI_ENTRY} validate --url ${url}`;
      // script runs the command on a pty: stdout and stderr are both a terminal, as for a user.
      const result = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000, cwd: root });
      expect(result.status).toBe(0);
      const text = result.stdout.replace(/\r/g, '');
      expect(text.match(/\bhealth\b/g)).toHaveLength(1);
      expect(text.match(/\bmetadata\b/g)).toHaveLength(1);
      expect(text).toMatch(/PASS\s+health/);
      expect(text).toMatch(/\d+ passed, 0 failed/);
    } finally {
      await cli.stop();
    }
  }, 90_000);
});
