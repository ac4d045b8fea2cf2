import type { DatasetDifference } from '../errors/collect-errors.js';
import { isRecord } from '../internal/is-record.js';

/** What defines a dataset in `metadata.json`: the keys `collect` knows, then the caller's (`dataset` option). */
export type CollectDataset = Record<string, unknown> & { seed: number; max_steps: number | null; shard_size: number | null; reset_options: unknown };

/** Fields no `forceResume` overrides: episode ids derive from the seed, files from the shard size. */
export const STRUCTURAL_FIELDS: readonly string[] = ['seed', 'shard_size'];

/**
 * The fields whose values differ between the dataset a directory holds and the one a run would
 * add, in the order of `current`'s keys then those only `previous` has. Values compare as JSON
 * with sorted keys (`{a, b}` equals `{b, a}`); a field absent on one side differs from any value.
 *
 * @example
 * datasetDifferences({ seed: 0, policy: 'a' }, { seed: 0, policy: 'b' }); // [{ field: 'policy', previous: 'a', current: 'b' }]
 */
export function datasetDifferences(previous: Record<string, unknown>, current: Record<string, unknown>): DatasetDifference[] {
  const fields = [...new Set([...Object.keys(current), ...Object.keys(previous)])];
  return fields
    .filter((field) => canonical(previous[field]) !== canonical(current[field]))
    .map((field) => ({ field, previous: previous[field], current: current[field] }));
}

/** JSON with object keys sorted, `undefined` kept apart from `null`. */
function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}
