import { isRecord } from '../internal/is-record.js';

/** A JSON Schema object as servers send it in `/schema` (pydantic v2 or zod `toJSONSchema`). */
export type JsonSchema = Record<string, unknown>;

/**
 * Follows a local `$ref` (`#/$defs/Move`, `#/definitions/Move`, JSON-pointer escapes `~0` `~1`)
 * and merges the referring schema's other keywords over the target, as 2020-12 does. Returns the
 * schema unchanged when it has no `$ref`, and `undefined` for a ref that points nowhere.
 */
export function resolveRef(schema: JsonSchema, root: JsonSchema): JsonSchema | undefined {
  let current = schema;
  // Bounded: a ref chain longer than this is a cycle.
  for (let hops = 0; hops < 32; hops++) {
    const ref = current['$ref'];
    if (typeof ref !== 'string') return current;
    if (ref !== '#' && !ref.startsWith('#/')) return undefined;
    const target = ref
      .slice(2)
      .split('/')
      .filter((key) => key !== '')
      .map((key) => decodeURIComponent(key).replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), root);
    if (!isRecord(target)) return undefined;
    const { $ref: _ref, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return undefined;
}

/** The types a schema allows (`type` as string or list); empty when it does not say. */
export function typesOf(schema: JsonSchema): string[] {
  const type = schema['type'];
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
}

/** A numeric keyword, when it is a finite number. */
export function numberKeyword(schema: JsonSchema, key: string): number | undefined {
  const value = schema[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Whether `value` satisfies `schema`, for the keywords the sampler honours (type, enum, const,
 * numeric bounds, multipleOf, string length and pattern, items, required properties,
 * additionalProperties, anyOf, oneOf, allOf, $ref). Unknown keywords are ignored, so it may accept what a full validator would
 * not; it is used to map a legal action onto the action field it fits.
 *
 * @example
 * matchesJsonSchema({ type: 'integer', enum: [0, 1, 2] }, 2); // true
 * matchesJsonSchema({ type: 'integer', maximum: 6 }, 7);      // false
 */
export function matchesJsonSchema(schema: unknown, value: unknown, root: JsonSchema = isRecord(schema) ? schema : {}, depth = 0): boolean {
  if (schema === true || schema === undefined) return true;
  if (schema === false || !isRecord(schema) || depth > 32) return false;
  const resolved = resolveRef(schema, root);
  if (!resolved) return false;
  const s = resolved;
  const recurse = (sub: unknown, v: unknown) => matchesJsonSchema(sub, v, root, depth + 1);
  if ('const' in s && !sameJson(s['const'], value)) return false;
  if (Array.isArray(s['enum']) && !s['enum'].some((member) => sameJson(member, value))) return false;
  if (Array.isArray(s['anyOf']) && !s['anyOf'].some((sub) => recurse(sub, value))) return false;
  if (Array.isArray(s['oneOf']) && s['oneOf'].filter((sub) => recurse(sub, value)).length !== 1) return false;
  if (Array.isArray(s['allOf']) && !s['allOf'].every((sub) => recurse(sub, value))) return false;
  const types = typesOf(s);
  if (types.length && !types.some((t) => hasType(value, t))) return false;
  if (typeof value === 'number') return numberFits(s, value);
  if (typeof value === 'string') return stringFits(s, value);
  if (Array.isArray(value)) {
    const min = numberKeyword(s, 'minItems');
    const max = numberKeyword(s, 'maxItems');
    if ((min !== undefined && value.length < min) || (max !== undefined && value.length > max)) return false;
    const prefix = Array.isArray(s['prefixItems']) ? s['prefixItems'] : Array.isArray(s['items']) ? s['items'] : [];
    const rest = Array.isArray(s['items']) ? s['additionalItems'] : s['items'];
    return value.every((item, i) => recurse(i < prefix.length ? prefix[i] : rest, item));
  }
  if (isRecord(value)) {
    const properties = isRecord(s['properties']) ? s['properties'] : {};
    const required = Array.isArray(s['required']) ? s['required'] : [];
    if (!required.every((name) => typeof name === 'string' && name in value)) return false;
    // Keys the properties do not name answer to additionalProperties (patternProperties: not checked).
    const extra = 'patternProperties' in s ? undefined : s['additionalProperties'];
    return Object.entries(value).every(([key, v]) => (key in properties ? recurse(properties[key], v) : extra === undefined || recurse(extra, v)));
  }
  return true;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isRecord(value);
    default:
      return true;
  }
}

function numberFits(s: JsonSchema, value: number): boolean {
  const min = numberKeyword(s, 'minimum');
  const max = numberKeyword(s, 'maximum');
  const exMin = numberKeyword(s, 'exclusiveMinimum') ?? (s['exclusiveMinimum'] === true ? min : undefined);
  const exMax = numberKeyword(s, 'exclusiveMaximum') ?? (s['exclusiveMaximum'] === true ? max : undefined);
  if (min !== undefined && value < min) return false;
  if (max !== undefined && value > max) return false;
  if (exMin !== undefined && value <= exMin) return false;
  if (exMax !== undefined && value >= exMax) return false;
  const step = numberKeyword(s, 'multipleOf');
  if (step !== undefined && step > 0) {
    const k = value / step;
    if (Math.abs(k - Math.round(k)) > 1e-9) return false;
  }
  return true;
}

function stringFits(s: JsonSchema, value: string): boolean {
  const length = [...value].length;
  const min = numberKeyword(s, 'minLength');
  const max = numberKeyword(s, 'maxLength');
  if ((min !== undefined && length < min) || (max !== undefined && length > max)) return false;
  if (typeof s['pattern'] === 'string') {
    try {
      if (!new RegExp(s['pattern'], 'u').test(value)) return false;
    } catch {
      return true; // a pattern JS cannot compile says nothing we can check
    }
  }
  return true;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
