/**
 * Wire captures reduced to shapes (keys and JSON types, not values), and a diff that names what
 * moved: how spec/interop/drift.spec.ts compares OpenEnv's servers with ours and with a snapshot.
 */
export type Shape = string | Shape[] | { [key: string]: Shape };

/** Keys (sorted) and JSON types of a value; an array is the shape of its first element. */
export function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (typeof value === 'object') {
    const out: Record<string, Shape> = {};
    for (const key of Object.keys(value).sort()) out[key] = shapeOf((value as Record<string, unknown>)[key]);
    return out;
  }
  return typeof value;
}

type JsonSchema = { type?: string | string[]; anyOf?: JsonSchema[]; $ref?: string; const?: unknown; enum?: unknown[]; properties?: Record<string, JsonSchema>; required?: string[] };

const typeName = (s: JsonSchema): string => {
  if (s.$ref) return s.$ref.replace(/^#\/(\$defs|components\/schemas)\//, 'ref:');
  if (s.anyOf) return s.anyOf.map(typeName).sort().join('|');
  if (s.const !== undefined) return `const:${JSON.stringify(s.const)}`;
  if (Array.isArray(s.type)) return [...s.type].sort().join('|');
  return s.type ?? 'any';
};

/** A JSON Schema object's properties (name: type) and required names: titles and texts dropped. */
export function schemaShape(schema: JsonSchema | undefined): Shape {
  if (!schema) return 'absent';
  const properties: Record<string, Shape> = {};
  for (const key of Object.keys(schema.properties ?? {}).sort()) properties[key] = typeName(schema.properties![key]!);
  return { properties, required: [...(schema.required ?? [])].sort().join(',') };
}

/** OpenAPI: each path's methods, each component schema's shape. */
export function openapiShape(doc: { paths?: Record<string, object>; components?: { schemas?: Record<string, JsonSchema> } }): Shape {
  const paths: Record<string, Shape> = {};
  for (const path of Object.keys(doc.paths ?? {}).sort()) paths[path] = Object.keys(doc.paths![path]!).sort().join(',');
  const schemas: Record<string, Shape> = {};
  for (const name of Object.keys(doc.components?.schemas ?? {}).sort()) schemas[name] = schemaShape(doc.components!.schemas![name]);
  return { paths, schemas };
}

export interface Capture {
  'openapi.json': { status: number; body: Parameters<typeof openapiShape>[0] };
  schema: { status: number; body: { action?: JsonSchema; observation?: JsonSchema; state?: JsonSchema } };
  metadata: { status: number; body: unknown };
  health: { status: number; body: unknown };
  ws: Record<string, unknown>;
}

/** One server's capture as shapes. */
export function wireShapes(capture: Capture): Record<string, Shape> {
  const schema = capture.schema.body;
  return {
    openapi: openapiShape(capture['openapi.json'].body),
    schema: { action: schemaShape(schema.action), observation: schemaShape(schema.observation), state: schemaShape(schema.state) },
    metadata: shapeOf(capture.metadata.body),
    health: shapeOf(capture.health.body),
    ws: shapeOf(capture.ws),
  };
}

/** Every place two shapes differ, as `path: left → right` (`absent` where a side lacks it). */
export function shapeDiff(left: Shape | undefined, right: Shape | undefined, path = ''): string[] {
  const describe = (s: Shape | undefined) => (s === undefined ? 'absent' : typeof s === 'string' ? s : Array.isArray(s) ? 'array' : 'object');
  if (left === undefined || right === undefined || typeof left === 'string' || typeof right === 'string' || Array.isArray(left) !== Array.isArray(right)) {
    return JSON.stringify(left) === JSON.stringify(right) ? [] : [`${path || '(root)'}: ${describe(left)} → ${describe(right)}`];
  }
  if (Array.isArray(left) && Array.isArray(right)) return shapeDiff(left[0], right[0], `${path}[]`);
  const l = left as Record<string, Shape>;
  const r = right as Record<string, Shape>;
  const keys = [...new Set([...Object.keys(l), ...Object.keys(r)])].sort();
  return keys.flatMap((key) => shapeDiff(l[key], r[key], path ? `${path}.${key}` : key));
}
