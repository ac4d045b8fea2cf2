import RandExpModule from 'randexp';
import { isRecord } from '../internal/is-record.js';
import { numberKeyword, resolveRef, typesOf, type JsonSchema } from './json-schema.js';

// randexp is CommonJS (`module.exports = RandExp`): Node hands the class over as the default
// import, while its typings describe `exports.default`. Accept both shapes.
const RandExp = ((RandExpModule as unknown as { default?: unknown }).default ?? RandExpModule) as typeof RandExpModule.default;

/** Picks among alternatives and numbers. `firstChoice` is deterministic; `randomChooser` makes it random. */
export interface SampleChooser {
  /** Index in [0, n). */
  index(n: number): number;
  /** A number in [min, max]; integers when `integer`. */
  number(min: number, max: number, integer: boolean): number;
}

/** Always the first alternative, the lowest number and a schema's `default`: a stable valid value. */
export const firstChoice: SampleChooser = { index: () => 0, number: (min) => min };

/** Uniform choices from `random` (a generator of floats in [0, 1), e.g. `mulberry32(seed)`). */
export function randomChooser(random: () => number): SampleChooser {
  return {
    index: (n) => Math.min(n - 1, Math.floor(random() * n)),
    number: (min, max, integer) => (integer ? min + Math.min(max - min, Math.floor(random() * (max - min + 1))) : min + random() * (max - min)),
  };
}

/** Deterministic retries for `firstChoice`: the n-th alternative, `min + n`. */
function offsetChooser(n: number): SampleChooser {
  return { index: (k) => n % k, number: (lo, hi) => Math.min(hi, lo + n) };
}
/** The chooser of retry `attempt`: a random chooser keeps drawing, `firstChoice` steps through offsets. */
function retryChooser(choose: SampleChooser, attempt: number): SampleChooser {
  return choose === firstChoice ? offsetChooser(attempt) : choose;
}

const WORDS = ['hello', 'world', 'openenv', 'agent', 'step', 'reward', 'policy', 'episode'];
/** Span of an unbounded number: a side without a bound gets this far from the other (or [0, 10]). */
const OPEN_SPAN = 10;
/** Extra array items beyond `minItems` a random sample may add (only near the top: recursive schemas stay small). */
const EXTRA_ITEMS = 3;
const EXTRA_ITEMS_DEPTH = 3;
/** Longest repetition (`*`, `+`, `{n,}`) in a string generated from a `pattern`. */
const PATTERN_REPEAT = 8;
const MAX_DEPTH = 32;

/**
 * Builds a value that satisfies a (pydantic- or zod-generated) JSON Schema. Honoured: `$ref` into
 * `$defs`/`definitions`; `const`, `enum` (of any type: an integer enum gives only its members);
 * `anyOf`/`oneOf` (a non-null branch when there is one), `allOf`; `type` (or a list of types);
 * numbers: `minimum`/`maximum`, `exclusiveMinimum`/`exclusiveMaximum` (draft 4 booleans too),
 * `multipleOf`; strings: `minLength`/`maxLength`, `pattern` (generated with randexp), `format`
 * (date-time, date, time, email, uri, uuid); arrays: `items`, `prefixItems`, `minItems`/`maxItems`,
 * `uniqueItems`; objects: every `required` property. An unbounded number side gets a span of 10
 * (zod's ±(2^53 - 1) integer bounds count as unbounded).
 *
 * With `firstChoice` (the default) the result is deterministic and prefers `default` values:
 * `validate` uses it to build a valid action. With `randomChooser` it is a uniform random value:
 * the random policy.
 *
 * @example
 * sampleJsonSchema({ type: 'object', required: ['action'],
 *   properties: { action: { enum: ['UP', 'DOWN'] } } }) // { action: 'UP' }
 * sampleJsonSchema({ type: 'integer', minimum: 0, exclusiveMaximum: 7 }, randomChooser(mulberry32(1))) // 0..6
 */
export function sampleJsonSchema(schema: JsonSchema, choose: SampleChooser = firstChoice, root: JsonSchema = schema, depth = 0): unknown {
  if (depth > MAX_DEPTH) return null;
  const s = resolveRef(schema, root);
  if (!s) return null;
  const next = (sub: unknown) => (isRecord(sub) ? sampleJsonSchema(sub, choose, root, depth + 1) : sub === false ? null : {});

  if ('const' in s) return s['const'];
  if (Array.isArray(s['enum']) && s['enum'].length) return s['enum'][choose.index(s['enum'].length)];
  if (choose === firstChoice && 'default' in s) return s['default'];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key];
    if (!Array.isArray(branches) || !branches.length) continue;
    const nonNull = branches.filter((b) => !(isRecord(b) && (b['type'] === 'null' || b['const'] === null)));
    const pool = nonNull.length ? nonNull : branches;
    const { [key]: _branches, ...siblings } = s;
    const picked = pool[choose.index(pool.length)];
    return next(isRecord(picked) ? { ...siblings, ...(resolveRef(picked, root) ?? picked) } : picked);
  }
  if (Array.isArray(s['allOf']) && s['allOf'].length) {
    const { allOf, ...siblings } = s;
    return next((allOf as unknown[]).reduce<JsonSchema>((merged, part) => mergeSchemas(merged, isRecord(part) ? (resolveRef(part, root) ?? {}) : {}), siblings));
  }

  const types = typesOf(s);
  const nonNullTypes = types.filter((t) => t !== 'null');
  const type = nonNullTypes.length ? nonNullTypes[choose.index(nonNullTypes.length)] : types[0] ?? inferType(s);
  switch (type) {
    case 'string':
      return sampleString(s, choose);
    case 'integer':
    case 'number':
      return sampleNumber(s, choose, type === 'integer');
    case 'boolean':
      return choose.index(2) === 1;
    case 'array':
      return sampleArray(s, choose, (sub, chooser) => (isRecord(sub) ? sampleJsonSchema(sub, chooser, root, depth + 1) : next(sub)), depth < EXTRA_ITEMS_DEPTH ? EXTRA_ITEMS : 0);
    case 'null':
      return null;
    default: {
      if ('default' in s) return s['default'];
      const properties = isRecord(s['properties']) ? s['properties'] : {};
      const required = Array.isArray(s['required']) ? s['required'].filter((n): n is string => typeof n === 'string') : [];
      const out: Record<string, unknown> = {};
      for (const name of required) out[name] = name in properties ? next(properties[name]) : null;
      return out;
    }
  }
}

function inferType(s: JsonSchema): string {
  if ('properties' in s || 'required' in s) return 'object';
  if ('items' in s || 'prefixItems' in s || 'minItems' in s) return 'array';
  if (['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].some((k) => k in s)) return 'number';
  if (['pattern', 'minLength', 'maxLength', 'format'].some((k) => k in s)) return 'string';
  return 'object';
}

/** `allOf` parts combined: properties merged, required joined, the tighter numeric bounds kept. */
function mergeSchemas(a: JsonSchema, b: JsonSchema): JsonSchema {
  const merged: JsonSchema = { ...a, ...b };
  if (isRecord(a['properties']) || isRecord(b['properties'])) {
    merged['properties'] = { ...(a['properties'] as object | undefined), ...(b['properties'] as object | undefined) };
  }
  if (Array.isArray(a['required']) || Array.isArray(b['required'])) {
    merged['required'] = [...new Set([...((a['required'] as unknown[]) ?? []), ...((b['required'] as unknown[]) ?? [])])];
  }
  for (const [key, pick] of [
    ['minimum', Math.max],
    ['exclusiveMinimum', Math.max],
    ['minLength', Math.max],
    ['minItems', Math.max],
    ['maximum', Math.min],
    ['exclusiveMaximum', Math.min],
    ['maxLength', Math.min],
    ['maxItems', Math.min],
  ] as const) {
    const x = numberKeyword(a, key);
    const y = numberKeyword(b, key);
    if (x !== undefined && y !== undefined) merged[key] = pick(x, y);
  }
  return merged;
}

/** zod writes `z.int()` as bounded by ±(2^53 - 1): that says "any integer", not "draw from 2^54 values". */
function bound(s: JsonSchema, key: string): number | undefined {
  const value = numberKeyword(s, key);
  return value !== undefined && Math.abs(value) >= Number.MAX_SAFE_INTEGER ? undefined : value;
}

function sampleNumber(s: JsonSchema, choose: SampleChooser, integer: boolean): number {
  const minimum = bound(s, 'minimum');
  const maximum = bound(s, 'maximum');
  // Draft 4 spelled exclusive bounds as booleans next to minimum/maximum.
  const exMin = bound(s, 'exclusiveMinimum') ?? (s['exclusiveMinimum'] === true ? minimum : undefined);
  const exMax = bound(s, 'exclusiveMaximum') ?? (s['exclusiveMaximum'] === true ? maximum : undefined);
  const low = max(minimum, exMin);
  const high = min(maximum, exMax);
  const lowExclusive = exMin !== undefined && low === exMin;
  const highExclusive = exMax !== undefined && high === exMax;
  let lo = low ?? (high !== undefined ? high - OPEN_SPAN : 0);
  let hi = high ?? lo + OPEN_SPAN;
  const step = numberKeyword(s, 'multipleOf');
  if (step !== undefined && step > 0) {
    let kLo = Math.ceil(lo / step);
    let kHi = Math.floor(hi / step);
    if (lowExclusive && nearly(kLo * step, lo)) kLo++;
    if (highExclusive && nearly(kHi * step, hi)) kHi--;
    if (integer && !Number.isInteger(step)) {
      // Only multiples that are integers qualify: step k*step is one when k is a multiple of this.
      const every = integerPeriod(step);
      kLo = Math.ceil(kLo / every) * every;
      kHi = Math.floor(kHi / every) * every;
      if (kLo > kHi) return Math.round(kLo * step);
      return roundTo(step * every * choose.number(kLo / every, kHi / every, true), step);
    }
    if (kLo > kHi) return roundTo(kLo * step, step);
    return roundTo(choose.number(kLo, kHi, true) * step, step);
  }
  if (integer) {
    lo = lowExclusive && Number.isInteger(lo) ? lo + 1 : Math.ceil(lo);
    hi = highExclusive && Number.isInteger(hi) ? hi - 1 : Math.floor(hi);
    return hi < lo ? lo : choose.number(lo, hi, true);
  }
  if (hi < lo) return lo;
  const value = choose.number(lo, hi, false);
  // An exclusive bound hit exactly (the lowest choice, or a draw of 0): take the middle instead.
  if ((lowExclusive && value <= lo) || (highExclusive && value >= hi)) return lo + (hi - lo) / 2;
  return value;
}

function max(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
function min(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
function nearly(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}
/** The smallest k in 1..1000 with k * step an integer, e.g. 4 for 0.25 (1 when there is none). */
function integerPeriod(step: number): number {
  for (let k = 1; k <= 1000; k++) if (nearly(step * k, Math.round(step * k))) return k;
  return 1;
}
/** Removes float noise of `k * step` (0.30000000000000004 -> 0.3) by rounding to step's decimals. */
function roundTo(value: number, step: number): number {
  const decimals = Math.min(15, (String(step).split('.')[1] ?? '').length);
  return Number(value.toFixed(decimals));
}

function sampleString(s: JsonSchema, choose: SampleChooser): string {
  const minLength = numberKeyword(s, 'minLength') ?? 0;
  const maxLength = numberKeyword(s, 'maxLength') ?? Infinity;
  const fits = (v: string) => [...v].length >= minLength && [...v].length <= maxLength;
  if (typeof s['pattern'] === 'string') {
    const generated = fromPattern(s['pattern'], choose, fits);
    if (generated !== undefined) return generated;
  }
  const formatted = typeof s['format'] === 'string' ? fromFormat(s['format'], choose) : undefined;
  if (formatted !== undefined && fits(formatted)) return formatted;
  let word = WORDS[choose.index(WORDS.length)] ?? 'a';
  while (word.length < minLength) word += 'a';
  return word.slice(0, Math.max(minLength, Math.min(maxLength, word.length)));
}

/** A string matching `pattern` (and the length bounds), or undefined when none was found in a few tries. */
function fromPattern(pattern: string, choose: SampleChooser, fits: (v: string) => boolean): string | undefined {
  let generator: InstanceType<typeof RandExp>;
  try {
    generator = new RandExp(pattern);
  } catch {
    return undefined;
  }
  generator.max = PATTERN_REPEAT;
  // JSON Schema patterns are unanchored, and a generated match is a valid string on its own.
  for (let attempt = 0; attempt < 20; attempt++) {
    const chooser = retryChooser(choose, attempt);
    generator.randInt = (a: number, b: number) => chooser.number(a, b, true);
    const value = generator.gen();
    if (fits(value)) return value;
  }
  return undefined;
}

function fromFormat(format: string, choose: SampleChooser): string | undefined {
  // A fixed day plus up to a year, so seeded runs repeat.
  const date = new Date(Date.UTC(2026, 0, 1) + choose.number(0, 365 * 24 * 3600, true) * 1000);
  switch (format) {
    case 'date-time':
      return date.toISOString();
    case 'date':
      return date.toISOString().slice(0, 10);
    case 'time':
      return date.toISOString().slice(11, 19) + 'Z';
    case 'email':
      return `${WORDS[choose.index(WORDS.length)]}@example.com`;
    case 'uri':
    case 'url':
      return `https://example.com/${WORDS[choose.index(WORDS.length)]}`;
    case 'uuid': {
      const hex = Array.from({ length: 32 }, () => choose.number(0, 15, true).toString(16)).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    }
    default:
      return undefined;
  }
}

function sampleArray(s: JsonSchema, choose: SampleChooser, next: (sub: unknown, chooser: SampleChooser) => unknown, extra: number): unknown[] {
  const prefix = Array.isArray(s['prefixItems']) ? s['prefixItems'] : Array.isArray(s['items']) ? s['items'] : [];
  const rest = Array.isArray(s['items']) ? s['additionalItems'] : s['items'];
  const minItems = numberKeyword(s, 'minItems') ?? 0;
  const closed = rest === false;
  const maxItems = Math.min(numberKeyword(s, 'maxItems') ?? Infinity, closed ? prefix.length : Infinity);
  const lo = Math.min(Math.max(minItems, 0), maxItems);
  const hi = Math.min(maxItems, Math.max(lo, prefix.length) + extra);
  const length = Math.max(lo, choose === firstChoice ? lo : choose.number(lo, hi, true));
  const unique = s['uniqueItems'] === true;
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < length; i++) {
    const itemSchema = i < prefix.length ? prefix[i] : rest;
    let item = next(itemSchema, choose);
    // Bounded retries for uniqueness (firstChoice steps through the alternatives instead).
    for (let attempt = 1; unique && seen.has(JSON.stringify(item)) && attempt <= 20; attempt++) item = next(itemSchema, retryChooser(choose, attempt));
    if (unique && seen.has(JSON.stringify(item))) break;
    seen.add(JSON.stringify(item));
    out.push(item);
  }
  return out;
}
