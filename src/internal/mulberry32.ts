import { randomInt } from 'node:crypto';

/** A seeded generator of floats in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a tiny, fast 32-bit PRNG, good enough for initial states and slippery moves.
 * It is NOT numpy's PCG64, so a seed gives different numbers than Gymnasium's `np_random`.
 * Seeds are reduced to 32 bits (`seed >>> 0`); without a seed one is drawn from the OS.
 *
 * @example
 * const rand = mulberry32(42);
 * rand(); // 0.6011037519201636, the same on every run
 */
export function mulberry32(seed: number = randomInt(2 ** 32 - 1)): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
