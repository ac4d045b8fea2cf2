import type { Observable } from 'rxjs';
import type { EnvPool } from '../src/fleet/env-pool.js';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { holdFirst } from './hold-first.js';

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
