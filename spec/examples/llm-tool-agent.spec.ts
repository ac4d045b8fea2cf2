import { main } from '../../examples/llm-tool-agent.js';

describe('examples/llm-tool-agent (in-process echo_mcp)', () => {
  it('lists the tools first, calls them, and recovers from every tool error it made', async () => {
    const result = await main({ sessions: 2, episodes: 4, turns: 8, seed: 3, latencyMs: [2, 6], mistakeRate: 0.4 });

    expect(result.summary.episodes).toBe(4);
    expect(result.stats.every((s) => s.truncated && s.length === 8)).toBe(true); // echo never ends: the turn budget does
    expect(result.listedFirst).toBe(true);
    expect(result.toolCalls).toBe(4 * 7); // 8 turns, the first one lists the tools
    expect(result.toolErrors).toBeGreaterThan(0);
    // An error in an episode's last turn has no next turn to be corrected in.
    expect(result.recovered).toBeGreaterThanOrEqual(result.toolErrors - 4);
    expect(result.recovered).toBeGreaterThan(0);
    expect(result.maxConcurrentModelCalls).toBe(2); // the two sessions' model calls overlapped
  });
});
