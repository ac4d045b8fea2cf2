import { returnsLine, sparkline, SparklineSampler, SPARKLINE_WIDTH } from '../../src/report/sparkline.js';

describe('sparkline', () => {
  it('maps the lowest value to ▁ and the highest to █, one block per value', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([7, 0, 3.5])).toBe('█▁▅');
    expect(sparkline([-2, -1])).toBe('▁█');
  });

  it('empty, flat and non-finite series', () => {
    expect(sparkline([])).toBe('');
    expect(sparkline([Number.NaN, Infinity])).toBe('');
    expect(sparkline([3, 3, 3])).toBe('▄▄▄');
    expect(sparkline([1, Number.NaN, 2])).toBe('▁█');
  });

  it('is bounded: a long series is drawn as the means of `width` equal runs', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0 : 10));
    expect(sparkline(values, 10)).toBe('▁▁▁▁▁█████');
    expect(sparkline(Array.from({ length: 10_000 }, (_, i) => i))).toHaveLength(SPARKLINE_WIDTH);
    // Runs of 3 values: means 1, 4, 7 -> low, middle, high.
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7, 8], 3)).toBe('▁▅█');
  });
});

describe('SparklineSampler', () => {
  it('draws what sparkline draws of the whole series while it fits, and tracks count, min and max', () => {
    const values = [1, 5, 2, 8, -1, 3];
    const sampler = new SparklineSampler();
    for (const v of values) sampler.add(v);
    expect(sampler.line()).toBe(sparkline(values));
    expect({ count: sampler.count, min: sampler.min, max: sampler.max }).toEqual({ count: 6, min: -1, max: 8 });
  });

  it('keeps at most 2 x width buckets however many values come, merging neighbours: the shape of the full series', () => {
    const aligned = new SparklineSampler(8);
    const steps = Array.from({ length: 8 * 4096 }, (_, i) => Math.floor(i / 4096)); // 8 equal steps 0..7, on bucket boundaries
    for (const v of steps) aligned.add(v);
    expect(aligned.line()).toBe('▁▂▃▄▅▆▇█');
    expect(aligned.count).toBe(8 * 4096);
    expect((aligned as unknown as { sums: number[] }).sums.length).toBeLessThanOrEqual(16);
    // Off the boundaries a bucket may straddle two steps: each block is within one level of the full series'.
    const wave = Array.from({ length: 100_000 }, (_, i) => Math.sin(i / 8000));
    const sampler = new SparklineSampler();
    for (const v of wave) sampler.add(v);
    const level = (line: string) => [...line].map((c) => '▁▂▃▄▅▆▇█'.indexOf(c));
    const [got, full] = [level(sampler.line()), level(sparkline(wave))];
    expect(got).toHaveLength(SPARKLINE_WIDTH);
    got.forEach((g, i) => expect(Math.abs(g - full[i]!)).toBeLessThanOrEqual(1));
  });

  it('ignores non-finite values; nothing added draws nothing', () => {
    const sampler = new SparklineSampler();
    expect(sampler.line()).toBe('');
    sampler.add(Number.NaN);
    expect(sampler.count).toBe(0);
  });
});

describe('returnsLine', () => {
  it('names the count and the range, or is undefined without a finite return', () => {
    expect(returnsLine([1, 2, 3])).toBe('returns  ▁▅█  (3 episodes, 1 .. 3)');
    expect(returnsLine([0.1 + 0.2, -1], ', in the order they ended')).toBe('returns  █▁  (2 episodes, in the order they ended, -1 .. 0.3)');
    expect(returnsLine([])).toBeUndefined();
    expect(returnsLine(new SparklineSampler())).toBeUndefined();
  });
});
