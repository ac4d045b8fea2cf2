import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';

/**
 * Runs each contender once as a warm-up (image cache, first-use code paths; discarded unless
 * `warmUp` is false), then `rounds` rounds of one run each, the order alternating per round so
 * that neither side always runs first on a machine that drifts. Awaits every runtime's teardown
 * at the end, failed or not. The start/stop sections of containers, swarm and Kubernetes share it.
 */
export async function interleaved<K extends string, R>(
  contenders: Record<K, () => Promise<R>>,
  rounds: number,
  { warmUp = true }: { warmUp?: boolean } = {},
): Promise<Record<K, R[]>> {
  const names = Object.keys(contenders) as K[];
  const runs = Object.fromEntries(names.map((name) => [name, [] as R[]])) as Record<K, R[]>;
  try {
    if (warmUp) for (const name of names) await contenders[name]();
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 === 0 ? names : [...names].reverse()) runs[name].push(await contenders[name]());
    }
  } finally {
    await awaitRuntimeTeardowns();
  }
  return runs;
}
