import { InvalidOptionError } from '../errors/usage-errors.js';

/**
 * Discounted returns of one episode's rewards: `G[t] = r[t] + gamma * G[t + 1]`, the last one
 * being its own reward (nothing is bootstrapped: use `gae` with values for a cut episode). A
 * `null` reward counts as 0. Pure; throws `InvalidOptionError` for a gamma outside [0, 1].
 *
 * @example
 * discountedReturns([1, 0, 2], 0.5); // [1.5, 1, 2]
 * // the rewards of an episode's steps (the reset result has none):
 * const steps = await firstValueFrom(GridWorld.connect(url).pipe(withSession((env) => env.episode(policy, { maxSteps: 20 }).pipe(toArray()))));
 * discountedReturns(steps.filter((s) => s.kind === 'step').map((s) => s.reward), 0.99);
 */
export function discountedReturns(rewards: readonly (number | null)[], gamma: number): number[] {
  assertDiscount('gamma', gamma);
  const out = new Array<number>(rewards.length);
  let running = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    running = (rewards[t] ?? 0) + gamma * running;
    out[t] = running;
  }
  return out;
}

/** Throws unless `value` is a number in [0, 1] (a discount or GAE's lambda). */
export function assertDiscount(option: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new InvalidOptionError(option, value, 'a number in [0, 1]');
}
