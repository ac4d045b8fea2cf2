import { firstValueFrom } from 'rxjs';
import { openBareWsClient, type BareWsClient } from './bare-ws-client.js';
import { BUILTIN_SERVER, startChildServer } from './child-server.js';
import { ECHO_ACTION, Echo } from './echo-env.js';
import { openSession, sessionSteps } from './open-session.js';
import type { BenchConfig, Row, SectionResult } from './section-result.js';
import { interleave, medianOpsPerSecond, medianPairedRatio, percentile, round } from './stats.js';

export const LEVELS = [1, 2, 4, 8, 16] as const;

/** Per-step latencies of every batch of one contender, pooled for the percentiles. */
class LatencyPool {
  private readonly batches: Float64Array[] = [];
  add(batch: Float64Array): void {
    this.batches.push(batch);
  }
  all(): Float64Array {
    const out = new Float64Array(this.batches.reduce((n, b) => n + b.length, 0));
    let offset = 0;
    for (const batch of this.batches) {
      out.set(batch, offset);
      offset += batch.length;
    }
    return out;
  }
}

/** Runs `steps` on every client at once; resolves with the total step count. */
async function together(clients: number, stepsEach: number, pool: LatencyPool, run: (i: number, latencies: Float64Array) => Promise<number>): Promise<number> {
  const latencies = Array.from({ length: clients }, () => new Float64Array(stepsEach));
  const counts = await Promise.all(latencies.map((l, i) => run(i, l)));
  for (const l of latencies) pool.add(l);
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Section 3: 1, 2, 4, 8, 16 openenv-rx sessions stepping at once against ONE server process,
 * against the same number of bare `ws` clients: total steps/s and per-step p50/p99 latency.
 * Each level's batch holds about the same number of steps in total, so every level takes a
 * similar time.
 */
export async function parallel(config: BenchConfig): Promise<SectionResult> {
  // 32 slots so both contenders' sockets stay open between batches; at most 16 step at a time.
  const server = await startChildServer(BUILTIN_SERVER, ['echo'], { MAX_CONCURRENT_ENVS: '32' });
  const rows: Row[] = [];
  const ratios: number[] = [];
  try {
    for (const level of LEVELS) {
      const bare: BareWsClient[] = [];
      for (let i = 0; i < level; i++) bare.push(await openBareWsClient(server.url, ECHO_ACTION));
      const sessions = await Promise.all(Array.from({ length: level }, () => openSession(Echo.connect(server.url, { transport: 'ws' }))));
      await Promise.all(sessions.map((s) => firstValueFrom(s.session.reset())));
      const stepsEach = Math.max(10, Math.round(config.parallelSteps / level));
      const pools = { bare: new LatencyPool(), rx: new LatencyPool() };
      const discard = new LatencyPool();
      const samples = await interleave(config.parallelRounds, {
        bare: (measured) => together(level, stepsEach, measured ? pools.bare : discard, (i, l) => bare[i]!.steps(stepsEach, l)),
        rx: (measured) => together(level, stepsEach, measured ? pools.rx : discard, (i, l) => sessionSteps(sessions[i]!.session, ECHO_ACTION, stepsEach, l)),
      });
      for (const s of sessions) await s.close();
      for (const b of bare) await b.close();
      const ratio = medianPairedRatio(samples.rx, samples.bare);
      ratios.push(ratio);
      const bareLat = pools.bare.all();
      const rxLat = pools.rx.all();
      rows.push({
        sessions: level,
        'openenv-rx steps/s': round(medianOpsPerSecond(samples.rx)),
        'bare ws steps/s': round(medianOpsPerSecond(samples.bare)),
        'time ratio': round(ratio),
        'openenv-rx p50 ms': round(percentile(rxLat, 50)),
        'openenv-rx p99 ms': round(percentile(rxLat, 99)),
        'bare p50 ms': round(percentile(bareLat, 50)),
        'bare p99 ms': round(percentile(bareLat, 99)),
      });
    }
    const worst = Math.max(...ratios);
    return {
      id: 'parallel',
      title: 'Parallel sessions against one server process',
      status: 'ok',
      baseline: 'the same number of bare `ws` clients, same server process',
      ratio: round(worst),
      rows,
      notes: [
        'Headline: the worst time ratio over the levels (no target set by the issue).',
        `${config.parallelRounds} interleaved rounds per level; each batch is ~${config.parallelSteps} steps in total, split over the sessions.`,
        'Latency percentiles pool every step of every measured batch. Server: MAX_CONCURRENT_ENVS=32 so both contenders keep their sockets open; at most 16 step at once.',
      ],
    };
  } finally {
    await server.stop();
  }
}
