import { percentile } from '../src/internal/percentile.js';

export { percentile };

/** Median of a non-empty sample (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Rounds for reports: 3 significant digits is all a shared 2-core machine can back up. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** (digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

/** One measured batch: how long it took and how many operations it did. */
export interface Sample {
  ms: number;
  ops: number;
  /** CPU time (user + system) this process spent on the batch, in µs: the client's own cost. */
  cpuUs: number;
}

/** Samples of every contender, in the order they were taken. */
export type Samples<K extends string> = Record<K, Sample[]>;

/**
 * Runs every contender once per round, `rounds` times, rotating the order each round (A B C,
 * B C A, C A B, ...) so that slow drift (thermal, a neighbour's test run, GC pressure) and the
 * position in a round (the servers' garbage left by the batch before) hit all of them alike:
 * over `rounds` a multiple of the contenders' count, each runs in each position equally often.
 * Each runner does one batch and returns how many operations it did; this function times it.
 * `warmup` batches of each are run first and discarded (JIT, socket buffers); runners are told
 * which batches are measured (to keep per-step latencies of those only).
 */
export async function interleave<K extends string>(
  rounds: number,
  runners: Record<K, (measured: boolean) => Promise<number>>,
  warmup = 1,
): Promise<Samples<K>> {
  const names = Object.keys(runners) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as Sample[]])) as Samples<K>;
  for (let w = 0; w < warmup; w++) for (const name of names) await runners[name](false);
  for (let r = 0; r < rounds; r++) {
    const shift = r % names.length;
    const order = [...names.slice(shift), ...names.slice(0, shift)];
    for (const name of order) {
      const cpu = process.cpuUsage();
      const start = performance.now();
      const ops = await runners[name](true);
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      samples[name].push({ ms, ops, cpuUs: used.user + used.system });
    }
  }
  return samples;
}

/** Median time per operation over the batches, in microseconds. */
export function medianUsPerOp(samples: readonly Sample[]): number {
  return median(samples.map((s) => (s.ms * 1000) / s.ops));
}

/** Wall times of single operations (ms each) as samples, for `medianPairedRatio`. */
export const timesAsSamples = (times: readonly number[]): Sample[] => times.map((ms) => ({ ms, ops: 1, cpuUs: 0 }));

/** Median CPU time of this process per operation, in microseconds. */
export function medianCpuUsPerOp(samples: readonly Sample[]): number {
  return median(samples.map((s) => s.cpuUs / s.ops));
}

/** Median operations per second over the batches. */
export function medianOpsPerSecond(samples: readonly Sample[]): number {
  return median(samples.map((s) => (s.ops * 1000) / s.ms));
}

/**
 * Median over rounds of subject/baseline time per op, each round's pair taken back to back: the
 * figure least disturbed by drift. `samples[i]` of both must come from the same round.
 */
export function medianPairedRatio(subject: readonly Sample[], baseline: readonly Sample[]): number {
  const ratios = subject.map((s, i) => {
    const b = baseline[i]!;
    return s.ms / s.ops / (b.ms / b.ops);
  });
  return median(ratios);
}

/** One table row of a sequential-steps section: throughput, latency and client CPU, vs the baseline. */
export function stepRow(client: string, samples: readonly Sample[], baseline: readonly Sample[]): Record<string, string | number> {
  return {
    client,
    'steps/s': round(medianOpsPerSecond(samples)),
    'µs/step': round(medianUsPerOp(samples)),
    'client CPU µs/step': round(medianCpuUsPerOp(samples)),
    'vs bare': round(medianPairedRatio(samples, baseline)),
  };
}

/**
 * Scales a batch to last about `targetMs`: runs `run(units)` with `guess` units twice (both
 * discarded; the first warms the JIT and the sockets, and timed cold it sized batches at half
 * their intended length) and returns the units that take `targetMs` at the second run's speed,
 * within `[min, max]`. Batches of a fixed size last 0.1 s at one N and 2 s at another; too short,
 * and a scheduler hiccup or a server's GC decides the ratio.
 */
export async function calibrate(run: (units: number) => Promise<unknown>, guess: number, targetMs: number, min: number, max: number): Promise<number> {
  await run(guess);
  const start = performance.now();
  await run(guess);
  const ms = Math.max(1, performance.now() - start);
  return Math.min(max, Math.max(min, Math.round((guess * targetMs) / ms)));
}

/** Rounds for a comparison of `contenders`: a multiple of their count near `config.fleetRounds` (1 in a smoke run), so the rotation is complete. */
export function fleetRounds(config: { smoke: boolean; fleetRounds: number }, contenders: number): number {
  return config.smoke ? 1 : Math.max(contenders, Math.round(config.fleetRounds / contenders) * contenders);
}
