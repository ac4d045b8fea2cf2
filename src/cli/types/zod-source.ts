import { isRecord } from '../../internal/is-record.js';
import { numberKeyword, resolveRef, typesOf, type JsonSchema } from '../../policies/json-schema.js';

/** How `zodSource` writes objects and optional fields. */
export interface ZodSourceOptions {
  /**
   * For what the client receives (observations, state): objects strip unknown keys instead of
   * refusing them (`additionalProperties: false` becomes `z.object`, so a server that adds a field
   * does not break the client), and an optional field with a `default` gets `.default(value)`.
   * For actions (false) `additionalProperties: false` becomes `z.strictObject`, as the server checks.
   */
  receive: boolean;
}

interface Walk {
  root: JsonSchema;
  options: ZodSourceOptions;
  /** `$ref`s being expanded (a ref inside itself is recursive: written as `z.unknown()`). */
  refs: readonly string[];
  indent: string;
}

const MAX_DEPTH = 32;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A zod 4 expression (source text) for a JSON Schema, `$ref`s inlined. Honoured: `type` (or a list),
 * `const`, `enum`, `anyOf`/`oneOf` (a nullable type becomes `.nullable()`), `allOf`
 * (`z.intersection`), integer/number bounds (exclusive too) and `multipleOf`, string
 * `minLength`/`maxLength`/`pattern`, `items`/`prefixItems`/`minItems`/`maxItems`, `properties`,
 * `required`, `additionalProperties`, `description` (`.describe`, below the root). Anything else is `z.unknown()`.
 *
 * @example
 * zodSource({ type: 'object', required: ['action'], additionalProperties: false,
 *   properties: { action: { enum: ['UP', 'DOWN'] } } }, { receive: false });
 * // z.strictObject({\n  action: z.enum(["UP", "DOWN"]),\n})
 */
export function zodSource(schema: JsonSchema, options: ZodSourceOptions): string {
  // The root's description goes to the module's doc comment, not into the schema.
  const { description: _description, ...rest } = schema;
  return expression(rest, { root: schema, options, refs: [], indent: '' });
}

function expression(schema: unknown, walk: Walk): string {
  if (schema === false) return 'z.never()';
  if (!isRecord(schema) || walk.refs.length > MAX_DEPTH) return 'z.unknown()';
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    if (walk.refs.includes(ref)) return `z.unknown() /* recursive ${ref} */`;
    const target = resolveRef(schema, walk.root);
    if (!target) return `z.unknown() /* unresolved ${ref} */`;
    // A definition's own description documents the type, not this use of it: only the referrer's is kept.
    const { description: _description, ...rest } = target;
    return expression('description' in schema ? target : rest, { ...walk, refs: [...walk.refs, ref] });
  }
  return describe(base(schema, walk), schema);
}

function base(s: JsonSchema, walk: Walk): string {
  if ('const' in s) return literal(s['const']);
  if (Array.isArray(s['enum']) && s['enum'].length) {
    const members = s['enum'];
    if (members.every((m) => typeof m === 'string')) return `z.enum([${members.map((m) => JSON.stringify(m)).join(', ')}])`;
    return members.length === 1 ? literal(members[0]) : `z.union([${members.map(literal).join(', ')}])`;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key];
    if (Array.isArray(branches) && branches.length) return union(branches, walk);
  }
  if (Array.isArray(s['allOf']) && s['allOf'].length) {
    return s['allOf'].map((part) => expression(part, walk)).reduce((a, b) => `z.intersection(${a}, ${b})`);
  }
  const types = typesOf(s);
  if (types.length > 1) return union(types.map((type) => ({ ...s, type })), walk);
  switch (types[0] ?? inferType(s)) {
    case 'string':
      return string(s);
    case 'integer':
      return number(s, 'z.int()');
    case 'number':
      return number(s, 'z.number()');
    case 'boolean':
      return 'z.boolean()';
    case 'null':
      return 'z.null()';
    case 'array':
      return array(s, walk);
    case 'object':
      return object(s, walk);
    default:
      return 'z.unknown()';
  }
}

function union(branches: unknown[], walk: Walk): string {
  const isNull = (b: unknown) => isRecord(b) && (b['type'] === 'null' || b['const'] === null);
  const others = branches.filter((b) => !isNull(b));
  if (others.length === 1 && others.length < branches.length) return `${expression(others[0], walk)}.nullable()`;
  const parts = branches.map((b) => expression(b, walk));
  return parts.length === 1 ? parts[0]! : `z.union([${parts.join(', ')}])`;
}

function inferType(s: JsonSchema): string {
  if ('properties' in s || 'required' in s || 'additionalProperties' in s) return 'object';
  if ('items' in s || 'prefixItems' in s || 'minItems' in s || 'maxItems' in s) return 'array';
  if (['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].some((k) => k in s)) return 'number';
  if (['pattern', 'minLength', 'maxLength'].some((k) => k in s)) return 'string';
  return 'unknown';
}

function literal(value: unknown): string {
  if (value === null) return 'z.null()';
  if (['string', 'number', 'boolean'].includes(typeof value)) return `z.literal(${JSON.stringify(value)})`;
  return `z.unknown() /* const ${JSON.stringify(value)} */`;
}

function string(s: JsonSchema): string {
  let out = 'z.string()';
  const min = numberKeyword(s, 'minLength');
  const max = numberKeyword(s, 'maxLength');
  if (min !== undefined) out += `.min(${min})`;
  if (max !== undefined) out += `.max(${max})`;
  if (typeof s['pattern'] === 'string') out += `.regex(new RegExp(${JSON.stringify(s['pattern'])}, 'u'))`;
  return out;
}

function number(s: JsonSchema, start: string): string {
  // zod writes z.int()'s own range as bounds: repeating them says nothing.
  const bound = (key: string) => {
    const v = numberKeyword(s, key);
    return v === undefined || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v;
  };
  let out = start;
  const min = bound('minimum');
  const max = bound('maximum');
  const exMin = bound('exclusiveMinimum') ?? (s['exclusiveMinimum'] === true ? min : undefined);
  const exMax = bound('exclusiveMaximum') ?? (s['exclusiveMaximum'] === true ? max : undefined);
  if (exMin !== undefined) out += `.gt(${exMin})`;
  else if (min !== undefined) out += `.min(${min})`;
  if (exMax !== undefined) out += `.lt(${exMax})`;
  else if (max !== undefined) out += `.max(${max})`;
  const step = numberKeyword(s, 'multipleOf');
  if (step !== undefined && step > 0) out += `.multipleOf(${step})`;
  return out;
}

function array(s: JsonSchema, walk: Walk): string {
  const prefix = Array.isArray(s['prefixItems']) ? s['prefixItems'] : Array.isArray(s['items']) ? s['items'] : undefined;
  if (prefix) {
    const rest = Array.isArray(s['items']) ? s['additionalItems'] : s['items'];
    const tuple = `z.tuple([${prefix.map((p) => expression(p, walk)).join(', ')}])`;
    return rest === undefined || rest === false ? tuple : `${tuple}.rest(${expression(rest, walk)})`;
  }
  let out = `z.array(${expression(s['items'] ?? {}, walk)})`;
  const min = numberKeyword(s, 'minItems');
  const max = numberKeyword(s, 'maxItems');
  if (min !== undefined && min === max) return `${out}.length(${min})`;
  if (min !== undefined) out += `.min(${min})`;
  if (max !== undefined) out += `.max(${max})`;
  return out;
}

function object(s: JsonSchema, walk: Walk): string {
  const properties = isRecord(s['properties']) ? s['properties'] : {};
  const extra = s['additionalProperties'];
  const names = Object.keys(properties);
  if (!names.length && extra !== false) return `z.record(z.string(), ${isRecord(extra) ? expression(extra, walk) : 'z.unknown()'})`;
  const required = Array.isArray(s['required']) ? s['required'] : [];
  const inner = { ...walk, indent: `${walk.indent}  ` };
  const fields = names.map((name) => {
    const sub = properties[name];
    let field = expression(sub, inner);
    if (!required.includes(name)) {
      const resolved = isRecord(sub) ? resolveRef(sub, walk.root) : undefined;
      const fallback = resolved && 'default' in resolved ? JSON.stringify(resolved['default']) : undefined;
      field += walk.options.receive && fallback !== undefined ? `.default(${fallback})` : '.optional()';
    }
    return `${inner.indent}${IDENTIFIER.test(name) ? name : JSON.stringify(name)}: ${field},\n`;
  });
  const shape = `{\n${fields.join('')}${walk.indent}}`;
  if (extra === false) return walk.options.receive ? `z.object(${shape})` : `z.strictObject(${shape})`;
  if (extra === true) return `z.looseObject(${shape})`;
  if (isRecord(extra)) return `z.object(${shape}).catchall(${expression(extra, walk)})`;
  return `z.object(${shape})`;
}

function describe(source: string, s: JsonSchema): string {
  const description = s['description'];
  if (typeof description !== 'string' || !description) return source;
  // A trailing comment (`/* recursive */`) must stay last.
  const comment = / \/\*.*\*\/$/.exec(source);
  const body = comment ? source.slice(0, comment.index) : source;
  return `${body}.describe(${JSON.stringify(description)})${comment ? comment[0] : ''}`;
}
