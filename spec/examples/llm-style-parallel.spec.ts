import { main } from '../../examples/llm-style-parallel.js';

describe('examples/llm-style-parallel (in-process grid world)', () => {
  it('spreads the episodes over parallel sessions whose slow policy calls overlap', async () => {
    const result = await main({ sessions: 3, episodes: 6, seed: 0, maxSteps: 40, latencyMs: [5, 10] });

    expect(result.summary.episodes).toBe(6);
    expect(result.stats.map((s) => s.episodeIndex).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // Seeds are distinct across all episodes, whatever session ran them: seed + global index.
    expect(new Set(result.stats.map((s) => s.seed)).size).toBe(6);
    expect(result.stats.every((s) => s.done || s.truncated)).toBe(true);

    expect(result.perSession.map((s) => s.sessionIndex)).toEqual([0, 1, 2]);
    expect(result.perSession.reduce((n, s) => n + s.episodes, 0)).toBe(6);
    expect(result.perSession.reduce((n, s) => n + s.steps, 0)).toBe(result.policyCalls);
    // Sessions ran at the same time: their policy calls were awaiting together.
    expect(result.maxConcurrentPolicyCalls).toBeGreaterThan(1);
  });
});
