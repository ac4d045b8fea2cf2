import type { EpisodeRecord } from './collect-record.js';

/**
 * A number as a JSON float: an integer gets `.0` (`1` → `1.0`), anything else is
 * `JSON.stringify`'s text (`0.30000000000000004`, `1e+21`; NaN and ±Infinity → `null`). Readers
 * that type columns from the text (pyarrow, pandas) then read a reward column as float64, never
 * int64, so files with and without integral rewards mix.
 *
 * @example
 * jsonFloat(1); // '1.0'
 * jsonFloat(0.5); // '0.5'
 */
export function jsonFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return Object.is(n, -0) ? '-0.0' : `${n}.0`;
  return JSON.stringify(n);
}

const floatOrNull = (n: number | null): string => (n === null ? 'null' : jsonFloat(n));

/**
 * One `results.jsonl` line (without the newline): `JSON.stringify(record)` byte for byte, except
 * that the fields OpenEnv's `EpisodeRecord` types as floats are written as floats: `reward`,
 * `metrics.return`, `metrics.final_reward`, each `extra.steps[i].reward` and each
 * `tool_trace[i].result.metadata.reward`. Only those are formatted by hand; every other part goes
 * through `JSON.stringify` whole, so the writer costs what `JSON.stringify` does.
 *
 * @example
 * episodeRecordJson(record); // '{"episode_id":"s0-e000000","messages":[...],"reward":1.0,...}'
 */
export function episodeRecordJson(record: EpisodeRecord): string {
  const { metrics, extra } = record;
  const trace = record.tool_trace.map(
    (entry) =>
      `{"tool_name":${JSON.stringify(entry.tool_name)},"arguments":${JSON.stringify(entry.arguments)},"result":{"data":${JSON.stringify(entry.result.data ?? null)},"done":${entry.result.done},"metadata":{"step":${JSON.stringify(entry.result.metadata.step)},"reward":${floatOrNull(entry.result.metadata.reward)}},"error":${JSON.stringify(entry.result.error ?? null)}}}`,
  );
  const steps = extra.steps.map((s) => `{"reward":${floatOrNull(s.reward)},${JSON.stringify({ done: s.done, truncated: s.truncated, latency_ms: s.latency_ms, policy_ms: s.policy_ms }).slice(1)}`);
  const { return: total, final_reward: finalReward, ...timings } = metrics;
  const { steps: _steps, ...extraRest } = extra;
  const { steps: stepCount, ...restTimings } = timings;
  return (
    `{"episode_id":${JSON.stringify(record.episode_id)},"messages":${JSON.stringify(record.messages)},"reward":${jsonFloat(record.reward)},"done":${record.done},` +
    `"tool_trace":[${trace.join(',')}],` +
    `"metrics":{"steps":${stepCount},"return":${jsonFloat(total)},"final_reward":${floatOrNull(finalReward)},${JSON.stringify(restTimings).slice(1)},` +
    `"verify_metrics":${JSON.stringify(record.verify_metrics)},"artifacts":${JSON.stringify(record.artifacts)},"task":${JSON.stringify(record.task)},` +
    `"extra":${JSON.stringify(extraRest).slice(0, -1)},"steps":[${steps.join(',')}]}}`
  );
}
