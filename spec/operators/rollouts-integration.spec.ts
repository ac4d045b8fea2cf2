import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, shareReplay, toArray } from 'rxjs';
import { z } from 'zod';
import { gridWorldEnv } from '../../src/envs/index.js';
import { episodeStats } from '../../src/operators/episode-stats.js';
import { recordTrajectory, type TrajectoryLine } from '../../src/operators/record-trajectory.js';
import { rollouts } from '../../src/operators/rollouts.js';
import { summarize } from '../../src/operators/summarize.js';
import { mulberry32 } from '../../src/internal/mulberry32.js';
import { inProcessEndpoint } from '../../src/server/in-process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { defineEnv } from '../../src/session/define-env.js';

const MOVES = ['UP', 'DOWN', 'LEFT', 'RIGHT'] as const;
const GridWorld = defineEnv({
  name: 'grid_world',
  action: z.object({ action: z.enum(MOVES) }),
  observation: z.object({ x: z.number(), y: z.number(), message: z.string() }),
});

describe('rollouts against a real server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-rollouts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('3 parallel sessions × 5 episodes: statistics equal the sums recomputed from the recorded trajectory', async () => {
    // One server with room for exactly 3 sessions: a 4th concurrent one would be refused.
    const endpoint$ = inProcessEndpoint(gridWorldEnv, { maxSessions: 3 }).pipe(shareReplay({ bufferSize: 1, refCount: true }));
    const random = mulberry32(3);
    const file = join(dir, 'trajectory.jsonl');

    const stats = await lastValueFrom(
      rollouts(GridWorld.fromEndpoint(endpoint$), () => ({ action: MOVES[Math.floor(random() * 4)]! }), {
        sessions: 3,
        episodes: 15,
        seed: 100,
        maxSteps: 40,
      }).pipe(recordTrajectory(file), episodeStats(), toArray()),
    );
    await awaitRuntimeTeardowns();

    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrajectoryLine);
    const recomputed = new Map<string, { ret: number; len: number; truncated: boolean; done: boolean; session: number; seed: number | null }>();
    for (const line of lines) {
      const e = recomputed.get(line.episodeId) ?? { ret: 0, len: 0, truncated: false, done: false, session: line.sessionIndex!, seed: line.seed };
      if (line.kind === 'step') {
        e.ret += line.reward ?? 0;
        e.len += 1;
        e.done ||= line.done;
        e.truncated ||= line.truncated;
      }
      recomputed.set(line.episodeId, e);
    }

    expect(stats).toHaveLength(15);
    expect(recomputed.size).toBe(15);
    expect(new Set(stats.map((s) => s.sessionIndex))).toEqual(new Set([0, 1, 2]));
    expect(stats.map((s) => s.seed).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 15 }, (_, i) => 100 + i));
    for (const s of stats) {
      const r = recomputed.get(s.episodeId)!;
      expect([s.sessionIndex, s.seed, s.length, s.done, s.truncated]).toEqual([r.session, r.seed, r.len, r.done, r.truncated]);
      expect(s.return).toBeCloseTo(r.ret, 9);
      expect(s.done || s.truncated).toBe(true);
      // grid_world dynamics: -0.1 per step, +1.0 on the goal step instead.
      expect(s.return).toBeCloseTo(s.done ? -0.1 * (s.length - 1) + 1 : -0.1 * s.length, 9);
    }
    const summary = summarize(stats);
    expect(summary.length.mean).toBeCloseTo([...recomputed.values()].reduce((n, e) => n + e.len, 0) / 15, 9);
    expect(summary.done + summary.truncated).toBe(15);
  }, 30_000);
});
