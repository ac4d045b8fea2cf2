/**
 * `json.dumps(value)` as Python writes it, with `sort_keys` optional: `", "` and `": "` separators
 * and every character outside printable ASCII escaped (`ensure_ascii`). OpenEnv's `collect` writes a
 * tool call's `arguments` and a tool turn's `content` that way; records written here match theirs
 * byte for byte (an integral float is the one thing JSON text from JavaScript cannot tell apart).
 *
 * @example
 * pythonJsonDumps({ b: 'é', a: [1, 2] }, true); // '{"a": [1, 2], "b": "\\u00e9"}'
 */
export function pythonJsonDumps(value: unknown, sortKeys = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return asciiOnly(JSON.stringify(value));
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((item) => pythonJsonDumps(item, sortKeys)).join(', ')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
    if (sortKeys) keys.sort(comparePython);
    return `{${keys.map((key) => `${asciiOnly(JSON.stringify(key))}: ${pythonJsonDumps((value as Record<string, unknown>)[key], sortKeys)}`).join(', ')}}`;
  }
  return asciiOnly(JSON.stringify(String(value)));
}

/**
 * A tool turn's `content` as OpenEnv writes it from a tool result's data: a string as it is,
 * nothing as `""`, anything else as sorted-keys JSON. A failed call with no data carries its error.
 *
 * @example
 * toolMessageContent({ length: 2, message: 'hi' }, null); // '{"length": 2, "message": "hi"}'
 */
export function toolMessageContent(data: unknown, error: unknown): string {
  if (data === null || data === undefined) return error === null || error === undefined ? '' : pythonJsonDumps({ error }, true);
  return typeof data === 'string' ? data : pythonJsonDumps(data, true);
}

// Python's ensure_ascii escapes everything outside ' '..'~', one \uXXXX per UTF-16 unit.
const asciiOnly = (json: string): string => json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

// Python sorts str keys by code point; JavaScript's default sort compares UTF-16 units (differs only past U+FFFF).
const comparePython = (a: string, b: string): number => {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
};
