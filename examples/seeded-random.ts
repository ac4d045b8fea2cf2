/**
 * A seeded random generator for the examples' policies, so that a run is reproducible: mulberry32,
 * a tiny 32-bit PRNG (copy it, or use any seeded generator you like; openenv-rx does not export one).
 *
 * @example
 * const random = seededRandom(42);
 * random(); // 0.6011037519201636, the same on every run
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
