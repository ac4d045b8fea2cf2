import { summarize } from '../../src/operators/summarize.js';

const ended = (ret: number, length: number, truncated = false) => ({ return: ret, length, done: !truncated, truncated });

describe('summarize', () => {
  it('computes count, mean, population std, min and max of return and length', () => {
    expect(summarize([ended(1, 4), ended(3, 6), ended(2, 5, true)])).toEqual({
      episodes: 3,
      done: 2,
      truncated: 1,
      failed: 0,
      return: { mean: 2, std: Math.sqrt(2 / 3), min: 1, max: 3 },
      length: { mean: 5, std: Math.sqrt(2 / 3), min: 4, max: 6 },
    });
  });

  it('counts failed episodes apart and leaves their partial return and length out of the moments', () => {
    const failed = { return: -100, length: 1, done: false, truncated: false, error: new Error('lost') };
    expect(summarize([ended(1, 4), failed, ended(3, 6, true)])).toEqual({
      episodes: 3,
      done: 1,
      truncated: 1,
      failed: 1,
      return: { mean: 2, std: 1, min: 1, max: 3 },
      length: { mean: 5, std: 1, min: 4, max: 6 },
    });
  });

  it('gives zero spread for a single episode', () => {
    expect(summarize([ended(-0.5, 9)])).toMatchObject({ episodes: 1, return: { mean: -0.5, std: 0, min: -0.5, max: -0.5 } });
  });

  it('gives NaN moments for no episodes', () => {
    const empty = summarize([]);
    expect(empty.episodes).toBe(0);
    expect(Object.values(empty.return).every(Number.isNaN)).toBe(true);
    expect(Object.values(empty.length).every(Number.isNaN)).toBe(true);
  });

  it('handles more episodes than a spread call could take', () => {
    const many = Array.from({ length: 300_000 }, (_, i) => ended(i % 10, 1));
    expect(summarize(many).return).toMatchObject({ min: 0, max: 9, mean: 4.5 });
  });
});
