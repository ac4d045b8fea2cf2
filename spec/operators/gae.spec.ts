import { InvalidOptionError } from '../../src/errors/usage-errors.js';
import { mulberry32 } from '../../src/internal/mulberry32.js';
import { discountedReturns } from '../../src/operators/discounted-returns.js';
import { gae } from '../../src/operators/gae.js';
import type { EpisodeStep } from '../../src/session/types.js';
import { EpisodeFailedError } from '../../src/errors/fleet-errors.js';

type Step = EpisodeStep<number, number>;
const reset = (episodeId = 'e'): Step => ({ observation: 0, reward: null, done: false, truncated: false, kind: 'reset', index: 0, episodeId, episodeIndex: 0, latencyMs: 0, timestamp: 0 });
const step = (index: number, reward: number | null, end: Partial<Pick<Step, 'done' | 'truncated' | 'error'>> = {}, episodeId = 'e'): Step => ({
  ...reset(episodeId),
  kind: 'step',
  index,
  action: index,
  reward,
  done: end.done ?? false,
  truncated: end.truncated ?? false,
  ...(end.error && { error: end.error }),
});

describe('discountedReturns', () => {
  it('matches hand-computed values, null rewards counting 0', () => {
    expect(discountedReturns([1, 0, 2], 0.5)).toEqual([1.5, 1, 2]);
    expect(discountedReturns([1, null, 1], 1)).toEqual([2, 1, 1]);
    expect(discountedReturns([3, 4], 0)).toEqual([3, 4]);
    expect(discountedReturns([], 0.9)).toEqual([]);
  });

  it('matches the definition sum_k gamma^k r[t+k] for random inputs', () => {
    const random = mulberry32(11);
    for (let trial = 0; trial < 50; trial++) {
      const rewards = Array.from({ length: 1 + Math.floor(random() * 30) }, () => random() * 4 - 2);
      const gamma = random();
      const reference = rewards.map((_, t) => rewards.slice(t).reduce((sum, r, k) => sum + gamma ** k * r, 0));
      discountedReturns(rewards, gamma).forEach((g, t) => expect(g).toBeCloseTo(reference[t]!, 10));
    }
  });

  it('refuses a gamma outside [0, 1] with ERR_INVALID_OPTION', () => {
    expect(() => discountedReturns([1], 1.5)).toThrow(InvalidOptionError);
    expect(() => discountedReturns([1], Number.NaN)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'gamma' }));
  });
});

describe('gae', () => {
  // reset V=0.5; step 1 r=1 V=0.4; step 2 r=0 V=0.3; step 3 r=2 V=9 (terminal: 9 ignored). gamma 0.9, lambda 0.8.
  const values = [0.5, 0.4, 0.3, 9];

  it('does not bootstrap a terminated episode (hand-computed)', () => {
    // delta1 = 1 + 0.9*0.4 - 0.5 = 0.86, delta2 = 0.27 - 0.4 = -0.13, delta3 = 2 - 0.3 = 1.7
    // A3 = 1.7, A2 = -0.13 + 0.72*1.7 = 1.094, A1 = 0.86 + 0.72*1.094 = 1.64768
    const { advantages, returns } = gae([reset(), step(1, 1), step(2, 0), step(3, 2, { done: true })], values, { gamma: 0.9, lambda: 0.8 });
    expect(advantages[0]).toBeNaN();
    expect(returns[0]).toBeNaN();
    [1.64768, 1.094, 1.7].forEach((a, i) => expect(advantages[i + 1]).toBeCloseTo(a, 12));
    [2.14768, 1.494, 2].forEach((r, i) => expect(returns[i + 1]).toBeCloseTo(r, 12));
  });

  it('bootstraps a truncated episode from the last observation’s value (hand-computed)', () => {
    // delta3 = 2 + 0.9*9 - 0.3 = 9.8; A2 = -0.13 + 0.72*9.8 = 6.926; A1 = 0.86 + 0.72*6.926 = 5.84672
    const { advantages } = gae([reset(), step(1, 1), step(2, 0), step(3, 2, { truncated: true })], values, { gamma: 0.9, lambda: 0.8 });
    [5.84672, 6.926, 9.8].forEach((a, i) => expect(advantages[i + 1]).toBeCloseTo(a, 12));
    // An episode cut by the end of the input (neither flag) is bootstrapped the same way.
    expect(gae([reset(), step(1, 1), step(2, 0), step(3, 2)], values, { gamma: 0.9, lambda: 0.8 }).advantages).toEqual(
      gae([reset(), step(1, 1), step(2, 0), step(3, 2, { truncated: true })], values, { gamma: 0.9, lambda: 0.8 }).advantages,
    );
  });

  it('with lambda 1 and zero values, is the discounted return of a terminated episode', () => {
    const rewards = [1, -2, 0.5, 3];
    const steps = [reset(), ...rewards.map((r, i) => step(i + 1, r, { done: i === rewards.length - 1 }))];
    const { advantages } = gae(steps, steps.map(() => 0), { gamma: 0.7, lambda: 1 });
    discountedReturns(rewards, 0.7).forEach((g, i) => expect(advantages[i + 1]).toBeCloseTo(g, 12));
  });

  it('ends an episode before a failed step: the step before is bootstrapped, the failed one has no advantage', () => {
    const failure = new EpisodeFailedError(true, new Error('socket closed'), { stepIndex: 2 });
    const { advantages } = gae([reset(), step(1, 1), step(2, null, { truncated: true, error: failure })], [0.5, 0.4, 7], { gamma: 0.9, lambda: 0.8 });
    expect(advantages[1]).toBeCloseTo(1 + 0.9 * 0.4 - 0.5, 12);
    expect(advantages[2]).toBeNaN();
  });

  it('matches the definition A[t] = sum_l (gamma*lambda)^l delta[t+l] within each episode, for random flattened streams', () => {
    const random = mulberry32(5);
    for (let trial = 0; trial < 40; trial++) {
      const gamma = random();
      const lambda = random();
      // Several episodes back to back, each ending done, truncated, or (the last one) cut by the input.
      const episodes: Step[][] = [];
      const count = 1 + Math.floor(random() * 4);
      for (let e = 0; e < count; e++) {
        const length = 1 + Math.floor(random() * 12);
        const ending = e === count - 1 && random() < 0.3 ? {} : random() < 0.5 ? { done: true } : { truncated: true };
        episodes.push([reset(`e${e}`), ...Array.from({ length }, (_, i) => step(i + 1, random() * 2 - 1, i === length - 1 ? ending : {}, `e${e}`))]);
      }
      const steps = episodes.flat();
      const values = steps.map(() => random() * 2 - 1);
      const { advantages, returns } = gae(steps, values, { gamma, lambda });

      // Reference: per episode, deltas from the definition, then the explicit geometric sum.
      let offset = 0;
      for (const episode of episodes) {
        const v = values.slice(offset, offset + episode.length);
        const last = episode[episode.length - 1]!;
        const deltas = episode.slice(1).map((s, k) => (s.reward ?? 0) + gamma * (s === last && last.done ? 0 : v[k + 1]!) - v[k]!);
        deltas.forEach((_, t) => {
          const expected = deltas.slice(t).reduce((sum, d, l) => sum + (gamma * lambda) ** l * d, 0);
          expect(advantages[offset + t + 1]).toBeCloseTo(expected, 10);
          expect(returns[offset + t + 1]).toBeCloseTo(expected + v[t]!, 10);
        });
        expect(advantages[offset]).toBeNaN();
        offset += episode.length;
      }
    }
  });

  it('refuses interleaved episodes (parallel sessions not grouped) instead of mixing their values', () => {
    const interleaved = [reset('p'), reset('q'), step(1, 1, {}, 'p'), step(1, 1, {}, 'q')];
    expect(() => gae(interleaved, [0, 0, 0, 0], { gamma: 0.9, lambda: 0.9 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'steps' }));
    expect(() => gae([reset(), step(2, 1)], [0, 0], { gamma: 0.9, lambda: 0.9 })).toThrow(expect.objectContaining({ option: 'steps' }));
  });

  it('refuses values that are not one finite number per step, and gamma or lambda outside [0, 1]', () => {
    const steps = [reset(), step(1, 1, { done: true })];
    expect(() => gae(steps, [0], { gamma: 0.9, lambda: 0.9 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'values' }));
    expect(() => gae(steps, [0, Number.NaN], { gamma: 0.9, lambda: 0.9 })).toThrow(InvalidOptionError);
    expect(() => gae(steps, [0, 0], { gamma: 0.9, lambda: -0.1 })).toThrow(expect.objectContaining({ option: 'lambda' }));
    expect(() => gae(steps, [0, 0], { gamma: 2, lambda: 0.5 })).toThrow(expect.objectContaining({ option: 'gamma' }));
  });
});
