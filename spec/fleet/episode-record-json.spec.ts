import { episodeRecordJson, jsonFloat } from '../../src/fleet/episode-record-json.js';
import type { EpisodeRecord } from '../../src/fleet/collect-record.js';

const record = (rewards: Array<number | null>, tool = false): EpisodeRecord => {
  const total = rewards.reduce<number>((sum, r) => sum + (r ?? 0), 0);
  return {
    episode_id: 's0-e000001',
    messages: [{ role: 'user', content: '{"reward":1}' }],
    reward: total,
    done: true,
    tool_trace: tool ? [{ tool_name: 'echo', arguments: { n: 2 }, result: { data: { reward: 3 }, done: false, metadata: { step: 1, reward: rewards[0] ?? null }, error: null } }] : [],
    metrics: { steps: rewards.length, return: total, final_reward: rewards.at(-1) ?? null, truncated: false, duration_ms: 12, reset_ms: 1.5, step_ms_mean: 2, step_ms_max: 3, policy_ms_mean: null },
    verify_metrics: {},
    artifacts: {},
    task: { seed: 1 },
    extra: {
      episode_index: 1,
      seed: 1,
      run_seed: 0,
      server: undefined,
      started_at: 'a',
      ended_at: 'b',
      steps: rewards.map((reward) => ({ reward, done: false, truncated: false, latency_ms: 1, policy_ms: 0 })),
    },
  };
};

describe('episodeRecordJson: OpenEnv float fields written as floats', () => {
  it('jsonFloat: integers get ".0", everything else is JSON.stringify', () => {
    expect([1, 0, -3, -0, 0.1 + 0.2, 1.5e-7, 1e21, 123456789012, Number.NaN, Number.POSITIVE_INFINITY].map(jsonFloat)).toEqual([
      '1.0',
      '0.0',
      '-3.0',
      '-0.0',
      '0.30000000000000004',
      '1.5e-7',
      '1e+21',
      '123456789012.0',
      'null',
      'null',
    ]);
    for (const text of ['1.0', '-0.0', '1e+21', '1.5e-7']) expect(Number.isFinite(JSON.parse(text))).toBe(true);
  });

  it('writes reward, return, final_reward and every step reward with a decimal point; the rest exactly as JSON.stringify', () => {
    for (const r of [record([1, 0, 2]), record([0.5, null, 1], true), record([]), record([1], true)]) {
      const line = episodeRecordJson(r);
      expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(r))); // same values (exact), same keys
      expect(Object.keys(JSON.parse(line) as object)).toEqual(Object.keys(r));
      // Undo the float formatting: what is left is JSON.stringify's text, byte for byte.
      expect(line.replace(/("(?:reward|return|final_reward)":-?\d+)\.0(?=[,}])/g, '$1')).toBe(JSON.stringify(r));
      expect(line.replace('"data":{"reward":3}', '')).not.toMatch(/"(?:reward|return|final_reward)":-?\d+[,}]/); // the env's own data aside
    }
    const line = episodeRecordJson(record([1, 0, 2], true));
    expect(line).toContain('"reward":3.0,"done"');
    expect(line).toContain('"return":3.0');
    expect(line).toContain('"final_reward":2.0');
    expect(line).toContain('"metadata":{"step":1,"reward":1.0}');
    expect(line).toContain('{"reward":0.0,"done":false');
    expect(line).toContain('"data":{"reward":3}'); // an env's own data is left as it came
    expect(line).toContain('"content":"{\\"reward\\":1}"');
    expect(line).toContain('"steps":3,'); // counts stay integers
  });
});
