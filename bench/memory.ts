import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { echoEnv } from '../src/envs/echo.js';
import { episodeStats } from '../src/operators/episode-stats.js';
import { recordTrajectory } from '../src/operators/record-trajectory.js';
import { inProcessEndpoint } from '../src/server/in-process-endpoint.js';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { onCleanup } from './cleanup.js';
import { ECHO_ACTION, Echo } from './echo-env.js';
import { openSession } from './open-session.js';
import type { BenchConfig, SectionResult } from './section-result.js';
import { round } from './stats.js';

const BUDGET_MB = 20;
const MB = 1024 * 1024;

/** Full collections until the heap stops shrinking (one gc() can leave weak/finaliser garbage). */
export function settledHeap(gc: () => void): number {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 64 * 1024) return used;
    last = used;
  }
  return last;
}

/**
 * The verdict (heap growth against the 20 MB budget) and the heap columns of a memory
 * section, from heaps measured after full GCs before and after `steps` steps that took `ms`.
 */
export function heapFigures(before: number, after: number, peak: number, steps: number, ms: number) {
  const growthMb = (after - before) / MB;
  return {
    verdict: {
      baseline: `the ${BUDGET_MB} MB budget (ratio = heap growth / budget)`,
      ratio: round(Math.max(0, growthMb) / BUDGET_MB),
      target: 1,
      met: growthMb < BUDGET_MB,
    },
    columns: {
      'heap before MB': round(before / MB),
      'heap after MB': round(after / MB),
      'growth MB': round(growthMb),
      'peak over before MB': round((peak - before) / MB),
      'steps/s': round((steps * 1000) / ms),
    },
  };
}

/**
 * Section 5: heap growth over one long episode: `episode()` (echo never ends: `maxSteps` cuts it)
 * piped through `recordTrajectory(<temp file>)` and `episodeStats()`, against the in-process
 * server (`inProcessEndpoint(echoEnv)`: client and server share this heap, so both must stay flat).
 * Heap is measured after full GCs before and after the episode (needs `node --expose-gc`); the
 * peak is sampled every 50 ms while it runs.
 */
export async function memory(config: BenchConfig): Promise<SectionResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    return { id: 'memory', title: 'Memory over one long episode', status: 'skipped', reason: 'run node with --expose-gc', rows: [], notes: [] };
  }
  const dir = await mkdtemp(join(tmpdir(), 'openenv-rx-bench-'));
  const removeDir = onCleanup(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'trajectory.jsonl');
  const open = await openSession(Echo.fromEndpoint(inProcessEndpoint(echoEnv)));
  let sampler: NodeJS.Timeout | undefined;
  try {
    const steps = config.memorySteps;
    const before = settledHeap(gc);
    let peak = before;
    sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 50);
    const started = performance.now();
    const stats = await lastValueFrom(
      open.session.episode(() => ECHO_ACTION, { maxSteps: steps }).pipe(recordTrajectory(file), episodeStats()),
    );
    const ms = performance.now() - started;
    clearInterval(sampler);
    const after = settledHeap(gc);
    const lines = (await stat(file)).size;
    if (stats.length !== steps || !stats.truncated) throw new Error(`episode ended early: ${JSON.stringify(stats)}`);
    const figures = heapFigures(before, after, peak, steps, ms);
    return {
      id: 'memory',
      title: 'Memory over one long episode',
      status: 'ok',
      ...figures.verdict,
      rows: [
        {
          steps,
          ...figures.columns,
          'trajectory MB': round(lines / MB),
        },
      ],
      notes: [
        'One `episode(policy, { maxSteps })` piped through `recordTrajectory(file)` and `episodeStats()`, against `inProcessEndpoint(echoEnv)` (server in the same heap).',
        'Heap after full GCs (node --expose-gc) before subscribing and after the episode completed; the peak is sampled every 50 ms.',
      ],
    };
  } finally {
    clearInterval(sampler);
    await open.close();
    await awaitRuntimeTeardowns();
    await removeDir();
  }
}
