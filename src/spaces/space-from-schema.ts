import { InvalidOptionError } from '../errors/usage-errors.js';
import { isRecord } from '../internal/is-record.js';
import { mulberry32, type Random } from '../internal/mulberry32.js';
import { matchesJsonSchema, numberKeyword, resolveRef, typesOf, type JsonSchema } from '../policies/json-schema.js';
import { randomChooser, sampleJsonSchema } from '../policies/sample-json-schema.js';
import type { DiscreteSpace, Space, SpaceBase, SpaceKind } from './space.js';

/** Options of `spaceFromSchema`. */
export interface SpaceOptions {
  /** Seeds the space's own generator (`mulberry32`), used by `sample()` without an argument; default: a random seed. */
  seed?: number;
}

interface Context {
  root: JsonSchema;
  random: Random;
  depth: number;
}

const MAX_DEPTH = 32;

/**
 * Maps a JSON Schema (an action, observation or state schema of `/schema`, or
 * `z.toJSONSchema(zodSchema)`) to a Gymnasium-shaped `Space`:
 *
 * | JSON Schema | space |
 * |---|---|
 * | `enum`, `const`, `boolean`, `null`, an `integer` with both bounds | `discrete` (`Discrete`) |
 * | `number`, an `integer` missing a bound; a fixed-length array of those | `box` (`Box`, shape `[]` or `[n]`) |
 * | a fixed-length array of finite choices / of booleans | `multi-discrete` / `multi-binary` |
 * | `object` with `properties` | `dict` (`Dict`) |
 * | `prefixItems` | `tuple` (`Tuple`) |
 * | an array of variable length | `sequence` (`Sequence`) |
 * | `anyOf` / `oneOf` (a nullable field too) | `one-of` (`OneOf`) |
 * | `string` | `text` (`Text`) |
 * | anything else (`{}`, `allOf`, free-form objects) | `json` |
 *
 * `sample()` and `contains()` of every space run the library's one JSON Schema sampler and
 * matcher (the random policy's), so a sample is always contained and valid for the server. As
 * that sampler does, a side without a bound spans 10 from the other (or 0..10), and a nullable
 * `one-of` samples its non-null branch.
 *
 * @example
 * const space = spaceFromSchema({ type: 'object', required: ['action'],
 *   properties: { action: { type: 'string', enum: ['UP', 'DOWN', 'LEFT', 'RIGHT'] } } }, { seed: 1 });
 * if (space.kind === 'dict') console.log(space.spaces['action']?.kind); // 'discrete'
 * space.sample();                          // { action: 'DOWN' } (for instance)
 * space.contains({ action: 'NORTH' });     // false
 */
export function spaceFromSchema<T = unknown>(schema: JsonSchema, options: SpaceOptions = {}): Space<T> {
  if (!isRecord(schema)) throw new InvalidOptionError('schema', schema, 'a JSON Schema object');
  return build(schema, { root: schema, random: mulberry32(options.seed), depth: 0 }) as Space<T>;
}

function build(schema: unknown, ctx: Context): Space {
  const json = (s: JsonSchema) => make('json', s, ctx, {});
  if (!isRecord(schema) || ctx.depth > MAX_DEPTH) return json(isRecord(schema) ? schema : {});
  const s = resolveRef(schema, ctx.root);
  if (!s) return json(schema);
  const child = { ...ctx, depth: ctx.depth + 1 };

  if ('const' in s) return discrete(s, ctx, [s['const']]);
  if (Array.isArray(s['enum']) && s['enum'].length) return discrete(s, ctx, s['enum']);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key];
    if (!Array.isArray(branches) || !branches.length) continue;
    const { [key]: _branches, ...siblings } = s;
    const spaces = branches.map((b) => build(isRecord(b) ? { ...siblings, ...(resolveRef(b, ctx.root) ?? b) } : b, child));
    return make('one-of', s, ctx, { spaces });
  }
  if ('allOf' in s) return json(s);

  const types = typesOf(s);
  if (types.length > 1) return make('one-of', s, ctx, { spaces: types.map((type) => build({ ...s, type }, child)) });
  switch (types[0] ?? inferType(s)) {
    case 'boolean':
      return discrete(s, ctx, [false, true]);
    case 'null':
      return discrete(s, ctx, [null]);
    case 'integer': {
      const { low, high } = bounds(s, true);
      if (Number.isFinite(low) && Number.isFinite(high) && numberKeyword(s, 'multipleOf') === undefined && high >= low) {
        return discreteRange(s, ctx, low, high - low + 1);
      }
      return make('box', s, ctx, { low, high, shape: [], integer: true });
    }
    case 'number':
      return make('box', s, ctx, { ...bounds(s, false), shape: [], integer: false });
    case 'string':
      return make('text', s, ctx, {
        minLength: numberKeyword(s, 'minLength') ?? 0,
        maxLength: numberKeyword(s, 'maxLength') ?? Infinity,
        ...(typeof s['pattern'] === 'string' && { pattern: s['pattern'] }),
      });
    case 'array':
      return array(s, ctx, child);
    default: {
      const properties = isRecord(s['properties']) ? s['properties'] : undefined;
      if (!properties) return json(s);
      const spaces = Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, build(sub, child)]));
      const required = Array.isArray(s['required']) ? s['required'].filter((n): n is string => typeof n === 'string') : [];
      return make('dict', s, ctx, { spaces, required });
    }
  }
}

function array(s: JsonSchema, ctx: Context, child: Context): Space {
  const prefix = Array.isArray(s['prefixItems']) ? s['prefixItems'] : Array.isArray(s['items']) ? s['items'] : undefined;
  if (prefix) return make('tuple', s, ctx, { spaces: prefix.map((sub) => build(sub, child)) });
  const minLength = numberKeyword(s, 'minItems') ?? 0;
  const maxLength = numberKeyword(s, 'maxItems') ?? Infinity;
  const item = build(s['items'] ?? {}, child);
  if (minLength === maxLength) {
    const n = minLength;
    if (item.kind === 'discrete' && item.n === 2 && item.at(0) === false && item.at(1) === true) return make('multi-binary', s, ctx, { n });
    if (item.kind === 'discrete') return make('multi-discrete', s, ctx, { nvec: Array.from({ length: n }, () => item.n), spaces: Array.from({ length: n }, () => item) });
    if (item.kind === 'box') return make('box', s, ctx, { low: item.low, high: item.high, shape: [n, ...item.shape], integer: item.integer });
  }
  return make('sequence', s, ctx, { item, minLength, maxLength });
}

function inferType(s: JsonSchema): string {
  if ('properties' in s || 'required' in s) return 'object';
  if ('items' in s || 'prefixItems' in s || 'minItems' in s || 'maxItems' in s) return 'array';
  if (['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].some((k) => k in s)) return 'number';
  if (['pattern', 'minLength', 'maxLength', 'format'].some((k) => k in s)) return 'string';
  return 'json';
}

/** Bounds of a number (±Infinity when open; zod's safe-integer bounds count as open); an integer's exclusive bounds move inward by 1. */
function bounds(s: JsonSchema, integer: boolean): { low: number; high: number } {
  const open = (v: number | undefined) => (v === undefined || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v);
  const minimum = open(numberKeyword(s, 'minimum'));
  const maximum = open(numberKeyword(s, 'maximum'));
  const exMin = open(numberKeyword(s, 'exclusiveMinimum')) ?? (s['exclusiveMinimum'] === true ? minimum : undefined);
  const exMax = open(numberKeyword(s, 'exclusiveMaximum')) ?? (s['exclusiveMaximum'] === true ? maximum : undefined);
  let low = Math.max(minimum ?? -Infinity, exMin ?? -Infinity);
  let high = Math.min(maximum ?? Infinity, exMax ?? Infinity);
  if (integer) {
    low = exMin !== undefined && low === exMin ? Math.floor(low) + 1 : Math.ceil(low);
    high = exMax !== undefined && high === exMax ? Math.ceil(high) - 1 : Math.floor(high);
  }
  return { low, high };
}

function discrete(s: JsonSchema, ctx: Context, values: readonly unknown[]): DiscreteSpace {
  const keys = values.map((v) => JSON.stringify(v));
  return make('discrete', s, ctx, {
    n: values.length,
    at: (index: number) => values[checkIndex(index, values.length)],
    indexOf: (value: unknown) => keys.indexOf(JSON.stringify(value)),
  });
}

function discreteRange(s: JsonSchema, ctx: Context, start: number, n: number): DiscreteSpace {
  return make('discrete', s, ctx, {
    n,
    start,
    at: (index: number) => start + checkIndex(index, n),
    indexOf: (value: unknown) => (Number.isInteger(value) && (value as number) >= start && (value as number) < start + n ? (value as number) - start : -1),
  });
}

function checkIndex(index: number, n: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new InvalidOptionError('index', index, `an integer in [0, ${n})`);
  return index;
}

type Extra<K extends SpaceKind> = Omit<Extract<Space, { kind: K }>, keyof SpaceBase<unknown>>;

function make<K extends SpaceKind>(kind: K, schema: JsonSchema, ctx: Context, extra: Extra<K>): Extract<Space, { kind: K }> {
  const { root, random } = ctx;
  const space: SpaceBase<unknown> = {
    kind,
    schema,
    sample: (r?: Random | number) => sampleJsonSchema(schema, randomChooser(typeof r === 'number' ? mulberry32(r) : (r ?? random)), root),
    contains: (value: unknown): value is unknown => matchesJsonSchema(schema, value, root),
  };
  return Object.freeze({ ...space, ...extra }) as unknown as Extract<Space, { kind: K }>;
}
