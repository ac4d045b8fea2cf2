import { isPlainRecord } from '../../internal/is-record.js';

type Plain = Record<string, unknown>;

/**
 * Merges `over` into a copy of `base`: plain objects recursively, anything else (arrays,
 * scalars) from `over` replaces. Neither input is modified.
 */
export function deepMerge<T extends Plain>(base: T, over: Plain | undefined): T {
  if (!over) return { ...base };
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainRecord(current) && isPlainRecord(value) ? deepMerge(current, value) : value;
  }
  return out as T;
}
