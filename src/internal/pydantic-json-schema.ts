import { z } from 'zod';

type Json = Record<string, unknown>;

/**
 * `z.toJSONSchema` (input side: defaulted fields are optional, as in pydantic) reshaped the way
 * pydantic v2 prints models: no `$schema`, `additionalProperties: true` instead of `{}`, `anyOf`
 * for nullable types, no safe-integer bounds, and (unless `titles: false`, as FastMCP prints tool
 * input schemas) a title on every plain property.
 *
 * @example
 * toPydanticJsonSchema(z.strictObject({ message: z.string() }), { titles: false })
 * // { type: 'object', properties: { message: { type: 'string' } }, required: ['message'], additionalProperties: false }
 */
export function toPydanticJsonSchema(schema: z.ZodType, options: { titles?: boolean } = {}): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete json['$schema'];
  return reshape(json, options.titles ?? true) as Json;
}

function reshape(node: unknown, titles: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => reshape(item, titles));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) out[key] = reshape(value, titles);

  const extra = out['additionalProperties'];
  if (extra !== null && typeof extra === 'object' && Object.keys(extra).length === 0) out['additionalProperties'] = true;
  const names = out['propertyNames'] as Json | undefined;
  if (names && names['type'] === 'string' && Object.keys(names).length === 1) delete out['propertyNames'];
  if (out['minimum'] === Number.MIN_SAFE_INTEGER) delete out['minimum'];
  if (out['maximum'] === Number.MAX_SAFE_INTEGER) delete out['maximum'];
  // pydantic writes Optional[X] as anyOf [X, null], never as a type array.
  const type = out['type'];
  if (Array.isArray(type)) {
    delete out['type'];
    out['anyOf'] = type.map((t) => ({ type: t }));
  }
  const properties = out['properties'];
  if (titles && properties && typeof properties === 'object' && !Array.isArray(properties)) {
    for (const [name, prop] of Object.entries(properties as Record<string, Json>)) {
      // pydantic titles plain fields only: a model reference (`$ref`, or `Optional[Model]`) gets none.
      if (prop && typeof prop === 'object' && prop['title'] === undefined && !refersToModel(prop)) {
        prop['title'] = pydanticTitle(name);
      }
    }
  }
  return out;
}

function refersToModel(prop: Json): boolean {
  if (prop['$ref'] !== undefined) return true;
  const anyOf = prop['anyOf'];
  return Array.isArray(anyOf) && anyOf.some((branch) => branch !== null && typeof branch === 'object' && '$ref' in branch);
}

/** pydantic's default field title: `echoed_message` → `Echoed Message`. */
function pydanticTitle(name: string): string {
  return name
    .split('_')
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join(' ');
}
