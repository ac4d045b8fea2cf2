import { z } from 'zod';
import { formatJsonDecodeError, parseJsonLikePython } from '../../src/server/json-decode-error.js';
import { formatValidationErrorText } from '../../src/internal/pydantic-error-text.js';
import { pythonRepr, toPydanticIssues } from '../../src/internal/pydantic-issues.js';

const issuesOf = (schema: z.ZodType, input: unknown, withSchema = true) =>
  toPydanticIssues(schema.safeParse(input).error?.issues ?? [], input, withSchema ? { schema } : {});

describe('toPydanticIssues', () => {
  it('words type errors as pydantic does, telling int fields from float ones through the schema', () => {
    const schema = z.object({ i: z.int(), f: z.number(), s: z.string(), b: z.boolean(), l: z.array(z.int()) });
    expect(issuesOf(schema, { i: 'x', f: 'y', s: 1, b: 'no', l: {} }).map((i) => [i.type, i.msg])).toEqual([
      ['int_parsing', 'Input should be a valid integer, unable to parse string as an integer'],
      ['float_parsing', 'Input should be a valid number, unable to parse string as a number'],
      ['string_type', 'Input should be a valid string'],
      ['bool_parsing', 'Input should be a valid boolean, unable to interpret input'],
      ['list_type', 'Input should be a valid list'],
    ]);
    expect(issuesOf(schema, { i: 'x', f: 1, s: '', b: true, l: [] }, false)[0]!.type).toBe('float_parsing');
    expect(issuesOf(z.object({ i: z.int() }), { i: 2.5 })[0]).toMatchObject({ type: 'int_from_float', input: 2.5 });
  });

  it('finds an integer field through a check (`z.number().int()`), through wrappers, and in zod/mini schemas', async () => {
    const mini = await import('zod/mini');
    const shapes: Array<[string, z.core.$ZodType]> = [
      ['check', z.object({ i: z.number().int().min(0) })],
      ['wrappers', z.object({ i: z.number().int().optional().default(1) })],
      ['mini', mini.object({ i: mini.number().check(mini.int()) })],
    ];
    for (const [, schema] of shapes) {
      const issues = toPydanticIssues((schema as z.ZodType).safeParse({ i: 'x' }).error?.issues ?? [], { i: 'x' }, { schema });
      expect(issues[0]?.type).toBe('int_parsing');
    }
  });

  it('bounds, enums, literals and multiples carry ctx', () => {
    const schema = z.strictObject({
      a: z.string().max(2),
      b: z.number().lt(3),
      c: z.array(z.int()).min(2),
      d: z.enum(['x']),
      e: z.literal([1, 2]),
      f: z.int().multipleOf(5),
    });
    const out = issuesOf(schema, { a: 'abc', b: 3, c: [1], d: 'y', e: 3, f: 7 });
    expect(out).toEqual([
      { type: 'string_too_long', loc: ['a'], msg: 'String should have at most 2 characters', input: 'abc', ctx: { max_length: 2 } },
      { type: 'less_than', loc: ['b'], msg: 'Input should be less than 3', input: 3, ctx: { lt: 3 } },
      {
        type: 'too_short',
        loc: ['c'],
        msg: 'List should have at least 2 items after validation, not 1',
        input: [1],
        ctx: { field_type: 'List', min_length: 2, actual_length: 1 },
      },
      { type: 'enum', loc: ['d'], msg: "Input should be 'x'", input: 'y', ctx: { expected: "'x'" } },
      { type: 'literal_error', loc: ['e'], msg: 'Input should be 1 or 2', input: 3, ctx: { expected: '1 or 2' } },
      { type: 'multiple_of', loc: ['f'], msg: 'Input should be a multiple of 5', input: 7, ctx: { multiple_of: 5 } },
    ]);
  });

  it('reports a missing key with its parent as input, extra keys one by one, nested paths, prefix and url', () => {
    const schema = z.strictObject({ pos: z.strictObject({ x: z.int(), y: z.int() }) });
    const input = { pos: { x: 1, z: 2, w: 3 } };
    expect(toPydanticIssues(schema.safeParse(input).error!.issues, input, { locPrefix: ['body'], withUrl: true })).toEqual([
      { type: 'missing', loc: ['body', 'pos', 'y'], msg: 'Field required', input: { x: 1, z: 2, w: 3 }, url: 'https://errors.pydantic.dev/2.14/v/missing' },
      { type: 'extra_forbidden', loc: ['body', 'pos', 'z'], msg: 'Extra inputs are not permitted', input: 2, url: 'https://errors.pydantic.dev/2.14/v/extra_forbidden' },
      { type: 'extra_forbidden', loc: ['body', 'pos', 'w'], msg: 'Extra inputs are not permitted', input: 3, url: 'https://errors.pydantic.dev/2.14/v/extra_forbidden' },
    ]);
  });

  it('translates the closest branch of a union and names an unknown discriminator', () => {
    const union = z.object({ v: z.union([z.object({ k: z.string() }), z.object({ j: z.int(), m: z.int() })]) });
    expect(issuesOf(union, { v: { k: 1 } })).toEqual([{ type: 'string_type', loc: ['v', 'k'], msg: 'Input should be a valid string', input: 1 }]);
    const tagged = z.discriminatedUnion('kind', [z.object({ kind: z.literal('a') }), z.object({ kind: z.literal('b') })]);
    expect(issuesOf(tagged, { kind: 'c' })[0]).toMatchObject({ type: 'union_tag_invalid', input: 'c' });
  });
});

describe('Python-compatible texts', () => {
  it('pythonRepr quotes like Python', () => {
    expect(pythonRepr({ foo: 1, b: [true, null, 'it\'s'], s: 'x' })).toBe(`{'foo': 1, 'b': [True, None, "it's"], 's': 'x'}`);
  });

  it('formats a ValidationError as str(ValidationError)', () => {
    const text = formatValidationErrorText('M', [
      { type: 'missing', loc: ['a', 0], msg: 'Field required', input: { foo: 1 }, url: 'https://errors.pydantic.dev/2.14/v/missing' },
    ]);
    expect(text).toBe(
      "1 validation error for M\na.0\n  Field required [type=missing, input_value={'foo': 1}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.14/v/missing",
    );
  });

  it.each([
    ['{not json', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
    ['{"a":1}x', 'Extra data: line 1 column 8 (char 7)'],
    ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
    ['[1,\n', 'Expecting value: line 2 column 1 (char 4)'],
    ['', 'Expecting value: line 1 column 1 (char 0)'],
  ])('JSON error in %j reads as Python: %s', (text, expected) => {
    const parsed = parseJsonLikePython(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(formatJsonDecodeError(parsed.error)).toBe(expected);
  });
});
