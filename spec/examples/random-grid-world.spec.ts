import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../examples/random-grid-world.js';

describe('examples/random-grid-world (in-process grid world)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'openenv-rx-example-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs seeded random episodes to the goal or maxSteps, writing the trajectory', async () => {
    const trajectoryPath = join(dir, 'run.jsonl');
    const { stats, summary } = await main({ episodes: 4, seed: 3, maxSteps: 60, trajectoryPath });

    expect(stats.map((s) => [s.episodeIndex, s.seed])).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    for (const s of stats) {
      expect(s.done || s.truncated).toBe(true);
      expect(s.length).toBeLessThanOrEqual(60);
      // -0.1 per step, +1 for the step that reaches the goal.
      expect(s.return).toBeCloseTo(s.done ? -0.1 * (s.length - 1) + 1 : -0.1 * s.length, 6);
    }
    expect(summary.episodes).toBe(4);
    expect(summary.done + summary.truncated).toBe(4);

    const lines = readFileSync(trajectoryPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; episodeId: string });
    expect(lines).toHaveLength(stats.reduce((n, s) => n + s.length + 1, 0));
    expect(lines.filter((l) => l.kind === 'reset').map((l) => l.episodeId)).toEqual(stats.map((s) => s.episodeId));
  });

  it('is reproducible: the same seed gives the same episodes', async () => {
    const lengths = async () => (await main({ episodes: 2, seed: 11, maxSteps: 40 })).stats.map((s) => [s.length, s.done]);
    expect(await lengths()).toEqual(await lengths());
  });
});
