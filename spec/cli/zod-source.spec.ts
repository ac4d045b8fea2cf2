import { z } from 'zod';
import { zodSource, type ZodSourceOptions } from '../../src/cli/types/zod-source.js';

/** Evaluates the generated source with the real zod, so each case checks behaviour, not text. */
const compile = (schema: Record<string, unknown>, options: ZodSourceOptions = { receive: false }): z.ZodType =>
  new Function('z', `return ${zodSource(schema, options)};`)(z) as z.ZodType;
const ok = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;

describe('zodSource', () => {
  it('round-trips zod schemas through z.toJSONSchema: the same values pass and fail', () => {
    const original = z.object({
      n: z.int().min(1).max(5),
      x: z.number().gt(0).lt(1),
      s: z.string().min(2).max(4).regex(/^[a-z]+$/),
      e: z.enum(['a', 'b']),
      t: z.tuple([z.string(), z.boolean()]),
      l: z.array(z.int()).min(1).max(2),
      o: z.string().nullable(),
      u: z.union([z.literal(0), z.literal(1)]),
      m: z.number().multipleOf(0.5).optional(),
    });
    const generated = compile(z.toJSONSchema(original) as Record<string, unknown>);
    const good = { n: 3, x: 0.5, s: 'abc', e: 'a', t: ['q', true], l: [1], o: null, u: 1, m: 1.5 };
    const bad = [
      { ...good, n: 6 },
      { ...good, n: 2.5 },
      { ...good, x: 1 },
      { ...good, s: 'a' },
      { ...good, s: 'ABC' },
      { ...good, e: 'c' },
      { ...good, t: ['q'] },
      { ...good, l: [] },
      { ...good, o: undefined },
      { ...good, u: 2 },
      { ...good, m: 1.2 },
    ];
    expect(ok(original, good) && ok(generated, good)).toBe(true);
    expect(bad.map((v) => ok(generated, v))).toEqual(bad.map((v) => ok(original, v)));
    expect(bad.every((v) => !ok(generated, v))).toBe(true);
  });

  it('is strict on what is sent (additionalProperties: false) and lenient on what is received, with defaults', () => {
    const schema = { type: 'object', additionalProperties: false, required: ['a'], properties: { a: { type: 'integer' }, b: { type: 'string', default: 'hi' } } };
    expect(ok(compile(schema), { a: 1, extra: true })).toBe(false);
    expect(compile(schema).parse({ a: 1 })).toEqual({ a: 1 });
    expect(compile(schema, { receive: true }).parse({ a: 1, extra: true })).toEqual({ a: 1, b: 'hi' });
  });

  it('inlines $refs, writes a recursive one as unknown, maps free objects to records and allOf to an intersection', () => {
    const root = {
      type: 'object',
      required: ['move', 'tree'],
      properties: { move: { $ref: '#/$defs/Move' }, tree: { $ref: '#/$defs/Tree' }, meta: { type: 'object', additionalProperties: true } },
      $defs: { Move: { enum: ['UP', 'DOWN'] }, Tree: { type: 'object', properties: { child: { $ref: '#/$defs/Tree' } } } },
    };
    const source = zodSource(root, { receive: false });
    expect(source).toContain('z.unknown() /* recursive #/$defs/Tree */');
    const generated = compile(root);
    expect(ok(generated, { move: 'UP', tree: { child: { anything: 1 } }, meta: { k: 1 } })).toBe(true);
    expect(ok(generated, { move: 'LEFT', tree: {} })).toBe(false);
    const both = compile({ allOf: [{ type: 'object', required: ['a'], properties: { a: { type: 'integer' } } }, { type: 'object', required: ['b'], properties: { b: { type: 'string' } } }] });
    expect([ok(both, { a: 1, b: 'x' }), ok(both, { a: 1 })]).toEqual([true, false]);
  });

  it('quotes keys that are not identifiers, and keeps descriptions (not the root one) as .describe()', () => {
    const schema = { type: 'object', description: 'root text', properties: { 'my-key': { type: 'string', description: 'a "quoted" */ text' } } };
    const source = zodSource(schema, { receive: false });
    expect(source).toContain('"my-key": z.string().describe("a \\"quoted\\" */ text").optional()');
    expect(source).not.toContain('root text');
    expect(compile(schema).parse({ 'my-key': 'v' })).toEqual({ 'my-key': 'v' });
  });
});
