import { z } from 'zod';
import { mulberry32 } from '../../src/internal/mulberry32.js';
import { matchesJsonSchema } from '../../src/policies/json-schema.js';
import { firstChoice, randomChooser, sampleJsonSchema } from '../../src/policies/sample-json-schema.js';

type Schema = Record<string, unknown>;
const draws = (schema: Schema, n = 300, seed = 1) => {
  const chooser = randomChooser(mulberry32(seed));
  return Array.from({ length: n }, () => sampleJsonSchema(schema, chooser));
};
/** Every draw (and the deterministic first choice) passes zod's own reading of the JSON Schema. */
const expectAllValid = (schema: Schema, n = 300) => {
  const validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  for (const value of [sampleJsonSchema(schema), ...draws(schema, n)]) {
    const parsed = validator.safeParse(value);
    if (!parsed.success) throw new Error(`${JSON.stringify(value)} fails ${JSON.stringify(schema)}: ${parsed.error.message}`);
  }
};

describe('sampleJsonSchema honours every keyword', () => {
  it('integer enums give only their members, all of them, even without bounds', () => {
    const schema = { type: 'integer', enum: [0, 3, 6] };
    expect(new Set(draws(schema))).toEqual(new Set([0, 3, 6]));
    expect(new Set(draws({ anyOf: [{ type: 'integer', const: 1 }, { type: 'integer', const: 4 }] }))).toEqual(new Set([1, 4]));
  });

  it('const wins over type', () => {
    expect(new Set(draws({ type: 'string', const: 'call_tool' }, 20))).toEqual(new Set(['call_tool']));
  });

  it('minimum/maximum and exclusive bounds (2020-12 numbers and draft-4 booleans)', () => {
    expect(new Set(draws({ type: 'integer', minimum: 2, maximum: 4 }))).toEqual(new Set([2, 3, 4]));
    expect(new Set(draws({ type: 'integer', exclusiveMinimum: 2, exclusiveMaximum: 5 }))).toEqual(new Set([3, 4]));
    expect(new Set(draws({ type: 'integer', minimum: 2, maximum: 5, exclusiveMinimum: true, exclusiveMaximum: true }))).toEqual(new Set([3, 4]));
    for (const v of draws({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 })) expect((v as number) > 0 && (v as number) < 1).toBe(true);
    expect(sampleJsonSchema({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 })).toBe(0.5);
    expectAllValid({ type: 'number', exclusiveMinimum: -3, maximum: -1 });
  });

  it('an unbounded side spans 10 from the other; none gives 0..10; zod int() bounds count as none', () => {
    for (const v of draws({ type: 'integer', maximum: -100 })) expect(v).toBeGreaterThanOrEqual(-110);
    expect(new Set(draws(z.toJSONSchema(z.int()) as Schema))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  });

  it('multipleOf, also fractional and with exclusive bounds, without float noise', () => {
    expect(new Set(draws({ type: 'integer', minimum: 0, maximum: 20, multipleOf: 5 }))).toEqual(new Set([0, 5, 10, 15, 20]));
    expect(new Set(draws({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, multipleOf: 0.25 }))).toEqual(new Set([0.25, 0.5, 0.75]));
    expect(new Set(draws({ type: 'number', minimum: 0, maximum: 0.5, multipleOf: 0.1 }))).toEqual(new Set([0, 0.1, 0.2, 0.3, 0.4, 0.5]));
    expectAllValid({ type: 'integer', minimum: 1, maximum: 9, multipleOf: 1.5 });
  });

  it('minItems/maxItems, items, prefixItems, uniqueItems', () => {
    const lengths = new Set(draws({ type: 'array', items: { type: 'integer', enum: [1, 2, 3, 4, 5, 6] }, minItems: 2, maxItems: 4 }).map((a) => (a as unknown[]).length));
    expect(lengths).toEqual(new Set([2, 3, 4]));
    expectAllValid({ type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, minItems: 3, maxItems: 3, uniqueItems: true });
    expectAllValid(z.toJSONSchema(z.tuple([z.int().min(0).max(3), z.enum(['a', 'b'])])) as Schema);
    expect(sampleJsonSchema({ type: 'array', items: { type: 'string' }, minItems: 2 })).toHaveLength(2);
  });

  it('pattern: generated strings match, also with length bounds, and are seeded', () => {
    const schema = { type: 'string', pattern: '^[a-h][1-8][a-h][1-8]$' };
    const values = draws(schema, 100) as string[];
    for (const v of values) expect(v).toMatch(/^[a-h][1-8][a-h][1-8]$/);
    expect(new Set(values).size).toBeGreaterThan(20);
    expect(draws(schema, 10, 5)).toEqual(draws(schema, 10, 5));
    expectAllValid({ type: 'string', pattern: '^x[0-9]+$', minLength: 3, maxLength: 5 });
  });

  it('formats and string lengths', () => {
    expectAllValid({ type: 'string', minLength: 12, maxLength: 14 });
    for (const v of draws({ type: 'string', format: 'date-time' }, 20)) expect(Number.isNaN(Date.parse(v as string))).toBe(false);
    for (const v of draws({ type: 'string', format: 'uuid' }, 20)) expect(v).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('anyOf/oneOf pick every non-null branch; allOf merges', () => {
    const schema = { oneOf: [{ type: 'string', enum: ['a'] }, { type: 'integer', enum: [7] }, { type: 'null' }] };
    expect(new Set(draws(schema))).toEqual(new Set(['a', 7]));
    expect(draws({ anyOf: [{ type: 'null' }] }, 3)).toEqual([null, null, null]);
    const merged = { allOf: [{ type: 'object', properties: { a: { type: 'integer', minimum: 1, maximum: 9 } }, required: ['a'] }, { properties: { b: { const: 'x' } }, required: ['b'] }] };
    for (const v of draws(merged, 50)) expect(matchesJsonSchema(merged, v)).toBe(true);
  });

  it('$ref into $defs and definitions, with sibling keywords, and recursive schemas stay finite', () => {
    const schema = {
      type: 'object',
      required: ['move', 'tree'],
      properties: { move: { $ref: '#/$defs/Move' }, tree: { $ref: '#/definitions/Tree' } },
      $defs: { Move: { type: 'integer', enum: [2, 4] } },
      definitions: { Tree: { type: 'object', required: ['children'], properties: { children: { type: 'array', minItems: 1, items: { $ref: '#/definitions/Tree' } } } } },
    };
    const values = draws(schema, 50) as Array<{ move: number }>;
    expect(new Set(values.map((v) => v.move))).toEqual(new Set([2, 4]));
    expect(JSON.stringify(sampleJsonSchema(schema)).length).toBeLessThan(10_000);
  });

  it('a zod schema with every kind of constraint: 300 random samples all parse', () => {
    const action = z.object({
      kind: z.literal('move'),
      column: z.union([z.literal(0), z.literal(2), z.literal(4)]),
      power: z.number().gt(0).lte(1).multipleOf(0.125),
      path: z.array(z.enum(['N', 'S'])).min(1).max(3),
      tag: z.string().regex(/^[A-Z]{2}-\d{3}$/),
      note: z.string().min(2).max(4).nullable(),
    });
    const schema = z.toJSONSchema(action) as Schema;
    const chooser = randomChooser(mulberry32(9));
    for (let i = 0; i < 300; i++) action.parse(sampleJsonSchema(schema, chooser));
    action.parse(sampleJsonSchema(schema));
  });

  it('firstChoice is deterministic and prefers defaults', () => {
    expect(sampleJsonSchema({ type: 'integer', minimum: 3, default: 5 }, firstChoice)).toBe(5);
    expect(sampleJsonSchema({ type: 'integer', minimum: 3 }, firstChoice)).toBe(3);
  });
});
