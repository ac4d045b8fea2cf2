import { firstValueFrom } from 'rxjs';
import { openBareFleet } from './bare-ws-fleet.js';
import { BUILTIN_SERVER, startChildServer, type ChildServer } from './child-server.js';
import { ECHO_ACTION, Echo } from './echo-env.js';
import { heapFigures, settledHeap } from './memory.js';
import { openSession, sessionSteps } from './open-session.js';
import { asCompleted, openVector, vectorRounds } from './open-vector.js';
import type { BenchConfig, Row, SectionResult } from './section-result.js';
import { calibrate, fleetRounds, interleave, medianCpuUsPerOp, medianOpsPerSecond, medianPairedRatio, round } from './stats.js';

export const VECTOR_LEVELS = [1, 8, 32, 64] as const;
/** Sessions per server process: N = 32 and 64 spread over 2 and 4 processes. */
const PER_SERVER = 16;
/** The issue's bar: at least 0.9× the bare clients' steps/s, i.e. a time ratio of at most 1/0.9. */
const TARGET = round(1 / 0.9);

/** Server processes enough for `max` sessions of each contender at once (slots for three contenders). */
async function startServers(count: number): Promise<ChildServer[]> {
  const servers: ChildServer[] = [];
  for (let i = 0; i < count; i++) servers.push(await startChildServer(BUILTIN_SERVER, ['echo'], { MAX_CONCURRENT_ENVS: String(PER_SERVER * 4) }));
  return servers;
}

/** The server of session i: sessions packed PER_SERVER to a process, as the pool packs them. */
const placement = (servers: ChildServer[], n: number): string[] => Array.from({ length: n }, (_, i) => servers[Math.floor(i / PER_SERVER)]!.url);

/**
 * Section `vector`: aggregate steps/s of `vectorEnv` over N typed echo sessions (N = 1, 8, 32, 64)
 * against our server processes (16 sessions to a process), against N bare `ws` sockets on the
 * same processes doing the same: lockstep batches (`vector.step(actions)` vs every socket
 * sending, then waiting for all) and free-running (the as-completed `send`/`results$` vs every
 * socket re-sending on its own answer). N plain sessions looping `step` show what the session
 * layer itself costs, so the vector layer's own cost is the as-completed / plain ratio.
 */
export async function vector(config: BenchConfig): Promise<SectionResult> {
  const servers = await startServers(Math.ceil(VECTOR_LEVELS.at(-1)! / PER_SERVER));
  const rows: Row[] = [];
  const worst: number[] = [];
  const stepCounts: number[] = [];
  const throughput: Array<[number, number]> = [];
  try {
    for (const n of VECTOR_LEVELS) {
      const urls = placement(servers, n);
      const bare = await openBareFleet(urls, ECHO_ACTION);
      const { vector: v, close: closeVector } = await openVector(servers.map((s) => s.url), n, PER_SERVER);
      const plain = await Promise.all(urls.map((url) => openSession(Echo.connect(url, { transport: 'ws' }))));
      await firstValueFrom(v.reset());
      await Promise.all(plain.map((p) => firstValueFrom(p.session.reset())));
      const minRounds = Math.max(10, Math.round(config.parallelSteps / n));
      // Sized on the faster bare shape (free-running) so that every batch lasts at least about fleetBatchMs.
      const rounds = config.fleetBatchMs > 0 ? await calibrate((r) => bare.free(r), minRounds, config.fleetBatchMs, minRounds, 50 * minRounds) : minRounds;
      stepCounts.push(rounds);
      const samples = await interleave(fleetRounds(config, 5), {
        bareLockstep: () => bare.lockstep(rounds),
        vector: () => vectorRounds(v, rounds),
        bareFree: () => bare.free(rounds),
        asCompleted: () => asCompleted(v, rounds),
        plain: async () => (await Promise.all(plain.map((p) => sessionSteps(p.session, ECHO_ACTION, rounds)))).reduce((a, b) => a + b, 0),
      });
      const failures = v.stats().failures;
      await closeVector();
      for (const p of plain) await p.close();
      await bare.close();
      if (failures > 0) throw new Error(`${failures} sub-env episode(s) failed at N = ${n}`);
      const sync = medianPairedRatio(samples.vector, samples.bareLockstep);
      const free = medianPairedRatio(samples.asCompleted, samples.bareFree);
      worst.push(Math.max(sync, free));
      throughput.push([n, medianOpsPerSecond(samples.vector)]);
      rows.push({
        N: n,
        servers: Math.ceil(n / PER_SERVER),
        'vector.step steps/s': round(medianOpsPerSecond(samples.vector)),
        'bare lockstep steps/s': round(medianOpsPerSecond(samples.bareLockstep)),
        'step vs bare': round(1 / sync),
        'as-completed steps/s': round(medianOpsPerSecond(samples.asCompleted)),
        'bare free steps/s': round(medianOpsPerSecond(samples.bareFree)),
        'as-completed vs bare': round(1 / free),
        'plain sessions steps/s': round(medianOpsPerSecond(samples.plain)),
        'plain vs bare': round(1 / medianPairedRatio(samples.plain, samples.bareFree)),
        'as-completed vs plain': round(1 / medianPairedRatio(samples.asCompleted, samples.plain)),
        // Client CPU per step: what each layer costs, far less disturbed by a loaded machine than time.
        'CPU µs/step vector.step': round(medianCpuUsPerOp(samples.vector)),
        'as-completed': round(medianCpuUsPerOp(samples.asCompleted)),
        'plain sessions': round(medianCpuUsPerOp(samples.plain)),
        'bare lockstep': round(medianCpuUsPerOp(samples.bareLockstep)),
        'bare free': round(medianCpuUsPerOp(samples.bareFree)),
      });
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  const peak = Math.max(...throughput.map(([, s]) => s));
  const knee = throughput.find(([, s]) => s >= 0.9 * peak)![0];
  const headline = Math.max(...worst);
  return {
    id: 'vector',
    title: 'vectorEnv aggregate steps/s vs N bare ws clients',
    status: 'ok',
    baseline: 'N bare `ws` sockets on the same server processes, lockstep (for vector.step) and free-running (for as-completed)',
    ratio: round(headline),
    target: TARGET,
    met: headline <= TARGET,
    rows,
    notes: [
      `Headline: the worst time ratio (vector / bare) over N and both modes; target ≤ ${TARGET}, i.e. ≥ 0.9× the bare steps/s. Columns "vs bare" are throughput ratios (≥ 0.9 wanted).`,
      `Knee: the vector.step throughput reaches 90% of its peak (${round(peak)} steps/s) at N = ${knee}; more sessions add no throughput on this machine.`,
      `${fleetRounds(config, 5)} interleaved rounds per N (the order rotating: each contender in each position equally often); each batch is ${stepCounts.join(', ')} steps per sub-env (N = ${VECTOR_LEVELS.join(', ')})${config.fleetBatchMs > 0 ? `, sized so that a bare free-running batch (the faster shape) lasts about ${config.fleetBatchMs} ms (at least max(10, ${config.parallelSteps} / N))` : ''}. Typed echo (zod action and observation schemas) for vector and plain sessions; ${PER_SERVER} sessions per server process (MAX_CONCURRENT_ENVS ${PER_SERVER * 4} so that all contenders keep their sockets).`,
      '"plain vs bare" is the session layer\'s own cost (not this section\'s code); "as-completed vs plain" is what the vector adds on top of it.',
    ],
  };
}

/**
 * Section `vector-memory`: heap growth over a long vector run (1M sub-env steps; the smoke run
 * fewer): `vectorEnv` of 8 sessions against one server process (client heap only), heap after
 * full GCs before and after, peak sampled every 50 ms.
 */
export async function vectorMemory(config: BenchConfig): Promise<SectionResult> {
  const id = 'vector-memory';
  const title = 'Memory over a long vectorEnv run';
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { id, title, status: 'skipped', reason: 'run node with --expose-gc', rows: [], notes: [] };
  const num = 8;
  const steps = config.smoke ? 20_000 : 1_000_000;
  const [server] = await startServers(1);
  let sampler: NodeJS.Timeout | undefined;
  try {
    const { vector: v, close } = await openVector([server!.url], num, PER_SERVER);
    try {
      await firstValueFrom(v.reset());
      await vectorRounds(v, 200); // warm-up: JIT, socket buffers
      const before = settledHeap(gc);
      let peak = before;
      sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 50);
      const started = performance.now();
      const done = await vectorRounds(v, steps / num);
      const ms = performance.now() - started;
      clearInterval(sampler);
      const after = settledHeap(gc);
      const figures = heapFigures(before, after, peak, done, ms);
      return {
        id,
        title,
        status: 'ok',
        ...figures.verdict,
        rows: [{ 'sub-env steps': done, ...figures.columns, failures: v.stats().failures }],
        notes: [`vectorEnv of ${num} typed echo sessions, vector.step in a loop, one server process; heap after full GCs.`],
      };
    } finally {
      await close();
    }
  } finally {
    clearInterval(sampler);
    await server!.stop();
  }
}
