import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatAll, lastValueFrom, map, take, timer, toArray } from 'rxjs';
import { collect, type CollectEvent, type CollectSummary } from '../src/fleet/collect.js';
import { envPool } from '../src/fleet/env-pool.js';
import { withSession } from '../src/operators/with-session.js';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { BUILTIN_SERVER, startChildServer } from './child-server.js';
import { ECHO_ACTION, Echo } from './echo-env.js';
import { holdFirst } from './hold-first.js';
import { procUsage } from './proc-usage.js';
import type { BenchConfig, Row, SectionResult } from './section-result.js';
import { interleave, medianPairedRatio, medianUsPerOp, round } from './stats.js';

const SESSIONS = 8;
const POLICY_MS = 20;
const MAX_STEPS = 10;
/** Episodes per hour of collect ≥ 6 × the sequential loop's: time per episode ≤ 1/6 of it. */
const TARGET = round(1 / 6);

/** A latency-bound agent: every decision takes 20 ms, like a model call. */
const slowPolicy = () => timer(POLICY_MS).pipe(map(() => ECHO_ACTION));
const fastPolicy = () => ECHO_ACTION;

/** One collect run into a fresh directory; resolves with its summary. */
async function runCollect(url: string, episodes: number, policy: () => unknown, sessions = SESSIONS): Promise<CollectSummary> {
  const out = mkdtempSync(join(tmpdir(), 'openenv-rx-bench-collect-'));
  try {
    const events = await lastValueFrom(
      collect(Echo.connect(url, { transport: 'ws' }), policy as never, { out, episodes, sessions, maxSteps: MAX_STEPS }).pipe(toArray()),
    );
    const summary = (events.at(-1) as Extract<CollectEvent, { type: 'summary' }>).summary;
    if (summary.recorded !== episodes) throw new Error(`collect recorded ${summary.recorded} of ${episodes} episodes (${JSON.stringify(summary.failures)})`);
    return summary;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The loop `openenv collect` runs: one session, one episode after another, same policy and env. */
async function runSequential(url: string, episodes: number): Promise<number> {
  const lengths = await lastValueFrom(
    Echo.connect(url, { transport: 'ws' }).pipe(
      withSession((env) => env.episodes(slowPolicy, { count: episodes, maxSteps: MAX_STEPS }).pipe(concatAll())),
      take(episodes * (MAX_STEPS + 1)),
      toArray(),
    ),
  );
  return lengths.length / (MAX_STEPS + 1);
}

const heapKiB = (): number => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1024;
};

/** Server RSS and client heap per open session: a pool of `sessions` warm sessions against a fresh server process. */
async function memoryPerSession(sessions: number): Promise<{ sessions: number; serverKiB: number | null; clientKiB: number }> {
  const server = await startChildServer(BUILTIN_SERVER, ['echo'], { MAX_CONCURRENT_ENVS: String(sessions) });
  try {
    // One session first: the server's lazy code paths and buffers are paid before the baseline.
    const one = await holdFirst(envPool(Echo.connect(server.url, { transport: 'ws' }), { size: 1 }));
    await one.close();
    await awaitRuntimeTeardowns();
    const serverBefore = procUsage(server.pid);
    const clientBefore = heapKiB();
    const pool = await holdFirst(envPool(Echo.connect(server.url, { transport: 'ws' }), { size: sessions }));
    const serverAfter = procUsage(server.pid);
    const clientAfter = heapKiB();
    await pool.close();
    return {
      sessions,
      serverKiB: serverBefore && serverAfter ? round((serverAfter.rssKiB - serverBefore.rssKiB) / sessions) : null,
      clientKiB: round((clientAfter - clientBefore) / sessions),
    };
  } finally {
    await server.stop();
  }
}

/**
 * Section `collect`: episodes per hour of `collect` with 8 sessions against a sequential loop on
 * one session, both on the same server process with a policy that waits 20 ms per step (a model
 * call), 10 steps per episode. Headline: collect's time per episode ÷ the loop's (≤ 1/6 means
 * ≥ 6× the episodes per hour; 1/8 is ideal). Also: collect with an instant policy (CPU-bound),
 * whose steps/s and client CPU per step size a fleet.
 */
export async function collectSection(config: BenchConfig): Promise<SectionResult> {
  const server = await startChildServer(BUILTIN_SERVER, ['echo'], { MAX_CONCURRENT_ENVS: String(SESSIONS) });
  try {
    const collectEpisodes = config.smoke ? 16 : 96;
    const sequentialEpisodes = config.smoke ? 4 : 12;
    const rounds = config.smoke ? 1 : 3;
    const samples = await interleave(rounds, {
      collect: async () => (await runCollect(server.url, collectEpisodes, slowPolicy)).recorded,
      sequential: () => runSequential(server.url, sequentialEpisodes),
    });
    const ratio = medianPairedRatio(samples.collect, samples.sequential);
    const perHour = (us: number) => round(3_600_000_000 / us);
    const collectUs = medianUsPerOp(samples.collect);
    const sequentialUs = medianUsPerOp(samples.sequential);

    // CPU-bound: how many steps/s one client process drives through collect, and at what CPU cost (both sides).
    const cpu = process.cpuUsage();
    const serverBefore = procUsage(server.pid);
    const fast = await runCollect(server.url, config.smoke ? 40 : 800, fastPolicy);
    const used = process.cpuUsage(cpu);
    const serverAfter = procUsage(server.pid);
    const serverCpuUs = serverBefore && serverAfter ? round((serverAfter.cpuUs - serverBefore.cpuUs) / fast.steps) : null;
    const memory = await memoryPerSession(config.smoke ? 8 : 64);
    const rows: Row[] = [
      { what: `collect, ${SESSIONS} sessions, ${POLICY_MS} ms policy`, 'episodes/hour': perHour(collectUs), 'ms/episode': round(collectUs / 1000), 'vs sequential': round(ratio), speedup: round(1 / ratio) },
      { what: `sequential loop, 1 session, ${POLICY_MS} ms policy (baseline)`, 'episodes/hour': perHour(sequentialUs), 'ms/episode': round(sequentialUs / 1000), 'vs sequential': 1, speedup: 1 },
      {
        what: `collect, ${SESSIONS} sessions, instant policy (CPU-bound)`,
        'episodes/hour': Math.round(fast.episodesPerSecond * 3600),
        'steps/s': round((fast.steps * 1000) / fast.elapsedMs),
        'client CPU µs/step': round((used.user + used.system) / fast.steps),
        'server CPU µs/step': serverCpuUs,
        'step p50 ms': fast.latency.step?.p50 ?? null,
        'step p99 ms': fast.latency.step?.p99 ?? null,
      },
      {
        what: `memory per open session (${memory.sessions} sessions, echo)`,
        'server RSS KiB/session': memory.serverKiB,
        'client heap KiB/session': memory.clientKiB,
      },
    ];
    return {
      id: 'collect',
      title: 'collect: episodes per hour, 8 sessions vs a sequential loop (20 ms policy)',
      status: 'ok',
      baseline: `a sequential loop on one session (the shape of openenv collect), same server, ${POLICY_MS} ms policy, ${MAX_STEPS} steps per episode (ratio = time per episode; 0.125 ideal)`,
      ratio: round(ratio),
      target: TARGET,
      met: ratio <= TARGET,
      rows,
      notes: [
        `Headline: collect's time per episode ÷ the sequential loop's, median of ${rounds} interleaved round(s) (${collectEpisodes} vs ${sequentialEpisodes} episodes per round); speedup = its inverse (target ≥ 6, ideal ${SESSIONS}).`,
        'collect writes every record (results.jsonl, synchronously) and keeps phase timings; the sequential loop writes nothing, so the comparison charges collect for its bookkeeping.',
        `Server: our serve-builtin echo in a child process, MAX_CONCURRENT_ENVS=${SESSIONS}. The CPU-bound row: one run, ${config.smoke ? 40 : 800} episodes; client CPU is this process's (policy, collect, records) per step.`,
      ],
    };
  } finally {
    await server.stop();
  }
}
