import type { z } from 'zod';
import type { ValidationIssue } from '../protocol/http-messages.js';

type Loc = (string | number)[];
type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/** Where translated issues go: HTTP bodies prefix `body`; pydantic adds `url` to model errors only. */
export interface PydanticIssueOptions {
  /** Prepended to every `loc` (e.g. `['body']` for FastAPI body errors). */
  locPrefix?: Loc;
  /** Add pydantic's documentation `url` (model-level errors carry it, FastAPI body errors do not). */
  withUrl?: boolean;
  /** The schema that produced the issues: tells integer fields from float ones in type errors. */
  schema?: AnySchema;
}

const PYDANTIC_DOCS = 'https://errors.pydantic.dev/2.14/v/';
const INT_FORMATS = new Set(['safeint', 'int32', 'uint32', 'int64', 'uint64']);

/**
 * Translates zod issues into pydantic v2 error entries (`type`, `loc`, `msg`, `input`, `ctx`, `url`),
 * worded as pydantic words them, so OpenEnv clients see the 422 / VALIDATION_ERROR bodies they expect.
 * `input` is the validated value, used to recover what zod does not report (the offending input,
 * whether a key was missing).
 *
 * @example
 * const r = z.strictObject({ message: z.string().min(1) }).safeParse({ message: '' });
 * toPydanticIssues(r.error!.issues, { message: '' }, { withUrl: true });
 * // [{ type: 'string_too_short', loc: ['message'], msg: 'String should have at least 1 character',
 * //    input: '', ctx: { min_length: 1 }, url: 'https://errors.pydantic.dev/2.14/v/string_too_short' }]
 */
export function toPydanticIssues(
  issues: readonly Issue[],
  input: unknown,
  options: PydanticIssueOptions = {},
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) translate(issue, [], input, options, out);
  return out;
}

function translate(issue: Issue, base: Loc, root: unknown, options: PydanticIssueOptions, out: ValidationIssue[]): void {
  const path: Loc = [...base, ...(issue.path as Loc)];
  const push = (type: string, loc: Loc, msg: string, value: unknown, ctx?: Record<string, unknown>): void => {
    const entry: ValidationIssue = { type, loc: [...(options.locPrefix ?? []), ...loc], msg, input: value };
    if (ctx) entry.ctx = ctx;
    if (options.withUrl) entry.url = PYDANTIC_DOCS + type;
    out.push(entry);
  };

  if (issue.code === 'unrecognized_keys') {
    const holder = valueAt(root, path) as Record<string, unknown> | undefined;
    for (const key of issue.keys) push('extra_forbidden', [...path, key], 'Extra inputs are not permitted', holder?.[key]);
    return;
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // pydantic lists every branch; the closest branch (fewest issues) is what a user needs to fix.
    const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
    for (const inner of best) translate(inner, path, root, options, out);
    return;
  }
  if ((issue.code === 'invalid_element' || issue.code === 'invalid_key') && issue.issues.length > 0) {
    for (const inner of issue.issues) translate(inner, path, root, options, out);
    return;
  }

  if (path.length > 0 && isMissing(root, path)) {
    push('missing', path, 'Field required', valueAt(root, path.slice(0, -1)));
    return;
  }
  const value = valueAt(root, path);
  const [type, msg, ctx] = describe(issue, value, path, options.schema);
  push(type, path, msg, value, ctx);
}

function describe(
  issue: Issue,
  value: unknown,
  path: Loc,
  schema: AnySchema | undefined,
): [string, string, Record<string, unknown>?] {
  switch (issue.code) {
    case 'invalid_type':
      return describeType(issue.expected, value, path, schema);
    case 'invalid_value': {
      const expected = joinOr(issue.values.map(pythonRepr));
      // pydantic says `enum` for an Enum field and `literal_error` for a Literal, strings or not.
      const target = schema ? schemaAt(schema, path) : undefined;
      const isLiteral = target !== undefined && defOf(target).type === 'literal';
      const allStrings = issue.values.every((v) => typeof v === 'string');
      return [allStrings && !isLiteral ? 'enum' : 'literal_error', `Input should be ${expected}`, { expected }];
    }
    case 'too_small':
      return describeBound(issue.origin, Number(issue.minimum), issue.inclusive ?? true, 'min', value);
    case 'too_big':
      return describeBound(issue.origin, Number(issue.maximum), issue.inclusive ?? true, 'max', value);
    case 'invalid_format':
      if (issue.format === 'regex' && 'pattern' in issue && typeof issue.pattern === 'string') {
        return ['string_pattern_mismatch', `String should match pattern '${issue.pattern}'`, { pattern: issue.pattern }];
      }
      return ['value_error', `Value error, ${issue.message}`, { error: issue.message }];
    case 'not_multiple_of':
      return ['multiple_of', `Input should be a multiple of ${issue.divisor}`, { multiple_of: issue.divisor }];
    case 'invalid_union':
      if ('discriminator' in issue && typeof issue.discriminator === 'string') {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const tags = joinComma(options.map(pythonRepr));
        return [
          'union_tag_invalid',
          `Input tag ${pythonRepr(value)} found using '${issue.discriminator}' does not match any of the expected tags: ${tags}`,
          { discriminator: `'${issue.discriminator}'`, tag: String(value), expected_tags: tags },
        ];
      }
      return ['union_error', issue.message];
    case 'custom':
      return ['value_error', `Value error, ${issue.message}`, { error: issue.message }];
    default:
      return [issue.code, issue.message];
  }
}

function describeType(expected: string, value: unknown, path: Loc, schema: AnySchema | undefined): [string, string] {
  const isString = typeof value === 'string';
  switch (expected) {
    case 'string':
      return ['string_type', 'Input should be a valid string'];
    case 'int':
      return intType(value);
    case 'number':
    case 'bigint':
      if (schema && isIntegerSchema(schemaAt(schema, path))) return intType(value);
      return isString
        ? ['float_parsing', 'Input should be a valid number, unable to parse string as a number']
        : ['float_type', 'Input should be a valid number'];
    case 'boolean':
      return isString
        ? ['bool_parsing', 'Input should be a valid boolean, unable to interpret input']
        : ['bool_type', 'Input should be a valid boolean'];
    case 'record':
    case 'map':
      return ['dict_type', 'Input should be a valid dictionary'];
    case 'object':
      return path.length === 0
        ? ['model_attributes_type', 'Input should be a valid dictionary or object to extract fields from']
        : ['dict_type', 'Input should be a valid dictionary'];
    case 'array':
    case 'tuple':
    case 'set':
      return ['list_type', 'Input should be a valid list'];
    case 'null':
    case 'undefined':
    case 'void':
      return ['none_required', 'Input should be None'];
    default:
      return [`${expected}_type`, `Input should be a valid ${expected}`];
  }
}

function intType(value: unknown): [string, string] {
  if (typeof value === 'string') return ['int_parsing', 'Input should be a valid integer, unable to parse string as an integer'];
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) {
    return ['int_from_float', 'Input should be a valid integer, got a number with a fractional part'];
  }
  return ['int_type', 'Input should be a valid integer'];
}

function describeBound(
  origin: string,
  limit: number,
  inclusive: boolean,
  side: 'min' | 'max',
  value: unknown,
): [string, string, Record<string, unknown>] {
  const plural = limit === 1 ? '' : 's';
  if (origin === 'string') {
    return side === 'min'
      ? ['string_too_short', `String should have at least ${limit} character${plural}`, { min_length: limit }]
      : ['string_too_long', `String should have at most ${limit} character${plural}`, { max_length: limit }];
  }
  if (origin === 'array' || origin === 'set') {
    const actual = Array.isArray(value) ? value.length : value instanceof Set ? value.size : 0;
    const ctx = { field_type: 'List', [side === 'min' ? 'min_length' : 'max_length']: limit, actual_length: actual };
    return side === 'min'
      ? ['too_short', `List should have at least ${limit} item${plural} after validation, not ${actual}`, ctx]
      : ['too_long', `List should have at most ${limit} item${plural} after validation, not ${actual}`, ctx];
  }
  if (side === 'min') {
    return inclusive
      ? ['greater_than_equal', `Input should be greater than or equal to ${limit}`, { ge: limit }]
      : ['greater_than', `Input should be greater than ${limit}`, { gt: limit }];
  }
  return inclusive
    ? ['less_than_equal', `Input should be less than or equal to ${limit}`, { le: limit }]
    : ['less_than', `Input should be less than ${limit}`, { lt: limit }];
}

/** True when the last key of `path` is absent from the object that should hold it. */
function isMissing(root: unknown, path: Loc): boolean {
  const holder = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(holder)) return typeof key === 'number' && key >= holder.length;
  return holder !== null && typeof holder === 'object' && !Object.prototype.hasOwnProperty.call(holder, key);
}

function valueAt(root: unknown, path: Loc): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

interface SchemaDef {
  type: string;
  format?: string;
  /** An integer check (`.int()`) is a number-format schema with its own public `def`; other checks have none. */
  checks?: { def?: { format?: string } }[];
  shape?: Record<string, AnySchema>;
  innerType?: AnySchema;
  in?: AnySchema;
  element?: AnySchema;
  valueType?: AnySchema;
  getter?: () => AnySchema;
}

/**
 * A schema's definition through zod's public `def` (classic and mini schemas carry it), not the
 * internal `_zod.def`; a schema without one (built from zod/v4/core directly) reads as unknown,
 * so the path search stops there and the message says less.
 */
const defOf = (schema: AnySchema): SchemaDef => (schema as unknown as { def?: SchemaDef }).def ?? UNKNOWN_DEF;
const UNKNOWN_DEF: SchemaDef = { type: 'unknown' };

/** Follows `path` through objects, arrays, records and wrappers; undefined where it cannot tell. */
function schemaAt(schema: AnySchema, path: Loc): AnySchema | undefined {
  let node: AnySchema | undefined = unwrap(schema);
  for (const key of path) {
    if (!node) return undefined;
    const def = defOf(node);
    const next: AnySchema | undefined =
      def.type === 'object' ? def.shape?.[String(key)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
    node = next ? unwrap(next) : undefined;
  }
  return node;
}

function unwrap(schema: AnySchema): AnySchema {
  let node = schema;
  for (let i = 0; i < 16; i++) {
    const def = defOf(node);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined) ?? (def.type === 'lazy' ? def.getter?.() : undefined);
    if (!inner) return node;
    node = inner;
  }
  return node;
}

function isIntegerSchema(schema: AnySchema | undefined): boolean {
  if (!schema) return false;
  const def = defOf(schema);
  if (def.type !== 'number') return false;
  if (def.format && INT_FORMATS.has(def.format)) return true;
  return (def.checks ?? []).some((c) => INT_FORMATS.has(c.def?.format ?? ''));
}

/** Python's `repr` of a JSON value, as pydantic quotes inputs and expected values. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** `'a', 'b' or 'c'`, as pydantic lists expected values. */
function joinOr(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function joinComma(items: string[]): string {
  return items.join(', ');
}
