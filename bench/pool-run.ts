import type { Observable } from 'rxjs';
import type { EnvPool } from '../src/fleet/env-pool.js';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { holdFirst, type Held } from './hold-first.js';
import type { Row } from './section-result.js';
import { median, medianPairedRatio, round, timesAsSamples } from './stats.js';

/** One start-and-stop of a fleet: up (subscribe → ready) and down (unsubscribe → all gone), ms. */
export interface UpDownRun {
  upMs: number;
  downMs: number;
}

/**
 * A warm pool of `size` sessions, held until every session is confirmed (`envPool` emits then),
 * then closed: up is subscribe → that emission, down is unsubscribe → every runtime's teardown done.
 */
export async function poolRun<S>(pool$: Observable<EnvPool<S>>, size: number): Promise<UpDownRun> {
  let started = performance.now();
  const held = await holdFirst(pool$);
  const upMs = performance.now() - started;
  if (held.value.stats().idle !== size) throw new Error(`the pool had ${held.value.stats().idle} idle sessions, not ${size}`);
  started = performance.now();
  await held.close();
  await awaitRuntimeTeardowns();
  return { upMs, downMs: performance.now() - started };
}

/**
 * The pool's baseline: `size` sessions started one after another (`session$()` each, held up to
 * its first value, e.g. a first reset), then all closed together.
 */
export async function sequentialRun(session$: () => Observable<unknown>, size: number): Promise<UpDownRun> {
  let started = performance.now();
  const held: Array<Held<unknown>> = [];
  try {
    for (let i = 0; i < size; i++) held.push(await holdFirst(session$()));
  } catch (error) {
    await Promise.all(held.map((h) => h.close()));
    throw error;
  }
  const upMs = performance.now() - started;
  started = performance.now();
  await Promise.all(held.map((h) => h.close()));
  await awaitRuntimeTeardowns();
  return { upMs, downMs: performance.now() - started };
}

/**
 * A pool section's row for contender `name` against the `sequential` runs: median ready and
 * removal times, and the median of the per-round ready ratios.
 */
export function fleetRow(runs: Record<string, UpDownRun[]>, name: string, what: string): Row {
  const ups = (n: string) => runs[n]!.map((r) => r.upMs);
  return {
    what,
    'ready ms': round(median(ups(name))),
    'vs sequential': round(medianPairedRatio(timesAsSamples(ups(name)), timesAsSamples(ups('sequential')))),
    'all removed ms': round(median(runs[name]!.map((r) => r.downMs))),
  };
}
