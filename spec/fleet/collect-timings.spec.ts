import { PhaseTimings } from '../../src/fleet/collect-timings.js';
import { loadHistogramBuilder } from '../../src/internal/lazy-hdr-histogram.js';

describe('PhaseTimings: latency per phase in fixed-size histograms', () => {
  it('percentiles within 0.1% of the exact ones, never above the max; counts per phase, in phase order', async () => {
    const timings = new PhaseTimings(await loadHistogramBuilder());
    for (let i = 1; i <= 10_000; i++) timings.add('step', i / 10); // 0.1 .. 1000 ms
    timings.add('reset', 2.5);
    timings.add('reset', 0);
    const summary = timings.summary();
    expect(Object.keys(summary)).toEqual(['reset', 'step']);
    const step = summary.step!;
    expect(step.count).toBe(10_000);
    expect(step.max).toBeCloseTo(1000, 0);
    for (const [p, exact] of [
      [step.p50, 500],
      [step.p95, 950],
      [step.p99, 990],
    ] as const) {
      expect(Math.abs(p - exact) / exact).toBeLessThan(0.001);
    }
    expect(summary.reset).toEqual({ count: 2, p50: 0, p95: 2.5, p99: 2.5, max: 2.5 });
  });
});
