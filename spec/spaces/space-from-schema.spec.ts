import { z } from 'zod';
import { builtinEnvs } from '../../src/envs/index.js';
import { InvalidOptionError } from '../../src/errors/usage-errors.js';
import { mulberry32 } from '../../src/internal/mulberry32.js';
import type { SchemaResponse } from '../../src/protocol/http-messages.js';
import { buildSchemaResponse } from '../../src/server/schema-response.js';
import type { DictSpace, DiscreteSpace, OneOfSpace, Space } from '../../src/spaces/space.js';
import { spaceFromSchema } from '../../src/spaces/space-from-schema.js';
import { spacesFromSchema } from '../../src/spaces/spaces-of.js';
import { loadTranscript, type HttpExchange } from '../helpers/transcripts.js';

const recorded = (file: string) => loadTranscript<HttpExchange>(file).find((r) => r.path === '/schema')!.response_body as SchemaResponse;
const json = (schema: z.ZodType) => z.toJSONSchema(schema) as Record<string, unknown>;
const kindOf = (space: Space): unknown =>
  space.kind === 'dict' ? Object.fromEntries(Object.entries(space.spaces).map(([k, s]) => [k, kindOf(s)])) : space.kind === 'one-of' ? space.spaces.map(kindOf) : space.kind;

describe('spaceFromSchema: Gymnasium shapes', () => {
  it('maps an integer range to Discrete(n, start), with at() and indexOf()', () => {
    const space = spaceFromSchema({ type: 'integer', minimum: 2, exclusiveMaximum: 6 }) as DiscreteSpace;
    expect(space).toMatchObject({ kind: 'discrete', n: 4, start: 2 });
    expect([0, 1, 2, 3].map((i) => space.at(i))).toEqual([2, 3, 4, 5]);
    expect([2, 5, 6, 1.5].map((v) => space.indexOf(v))).toEqual([0, 3, -1, -1]);
    expect(() => space.at(4)).toThrow(InvalidOptionError);
  });

  it('maps enum, const, boolean and null to Discrete over their members', () => {
    const labels = spaceFromSchema({ type: 'string', enum: ['UP', 'DOWN'] }) as DiscreteSpace;
    expect([labels.n, labels.start, labels.at(1), labels.indexOf('UP'), labels.indexOf('NORTH')]).toEqual([2, undefined, 'DOWN', 0, -1]);
    expect(spaceFromSchema({ const: 'call_tool' })).toMatchObject({ kind: 'discrete', n: 1 });
    expect((spaceFromSchema({ type: 'boolean' }) as DiscreteSpace).at(1)).toBe(true);
    expect((spaceFromSchema({ type: 'null' }) as DiscreteSpace).at(0)).toBeNull();
  });

  it('maps numbers and half-bounded integers to Box, and fixed-length numeric arrays to a shaped Box', () => {
    expect(spaceFromSchema({ type: 'number', minimum: -1, maximum: 1 })).toMatchObject({ kind: 'box', low: -1, high: 1, shape: [], integer: false });
    expect(spaceFromSchema({ type: 'integer', minimum: 0 })).toMatchObject({ kind: 'box', low: 0, high: Infinity, integer: true });
    // zod's z.int() writes the safe-integer bounds: that is an open integer, not 2^54 choices.
    expect(spaceFromSchema(json(z.int()))).toMatchObject({ kind: 'box', low: -Infinity, high: Infinity, integer: true });
    const grid = spaceFromSchema(json(z.array(z.array(z.number().min(0).max(1)).length(3)).length(2)));
    expect(grid).toMatchObject({ kind: 'box', low: 0, high: 1, shape: [2, 3] });
    expect(grid.contains([[0, 1, 0.5], [0, 0, 0]])).toBe(true);
    expect(grid.contains([[0, 1, 0.5], [0, 0]])).toBe(false);
  });

  it('maps fixed-length arrays of choices to MultiDiscrete / MultiBinary, others to Tuple and Sequence', () => {
    expect(spaceFromSchema(json(z.array(z.int().min(0).max(4)).length(3)))).toMatchObject({ kind: 'multi-discrete', nvec: [5, 5, 5] });
    expect(spaceFromSchema(json(z.array(z.boolean()).length(8)))).toMatchObject({ kind: 'multi-binary', n: 8 });
    expect(spaceFromSchema(json(z.tuple([z.string(), z.int()])))).toMatchObject({ kind: 'tuple', spaces: [{ kind: 'text' }, { kind: 'box' }] });
    expect(spaceFromSchema(json(z.array(z.string()).max(4)))).toMatchObject({ kind: 'sequence', minLength: 0, maxLength: 4, item: { kind: 'text' } });
  });

  it('maps anyOf/oneOf, nullable fields and type lists to OneOf; objects to Dict; the rest to json', () => {
    expect(kindOf(spaceFromSchema(json(z.object({ a: z.string().nullable(), b: z.union([z.int(), z.object({ c: z.boolean() })]) }))))).toEqual({
      a: ['text', 'discrete'],
      b: ['box', { c: 'discrete' }],
    });
    expect(kindOf(spaceFromSchema({ type: ['string', 'integer'] }))).toEqual(['text', 'box']);
    expect(spaceFromSchema({}).kind).toBe('json');
    expect(spaceFromSchema({ allOf: [{ type: 'object' }] }).kind).toBe('json');
    expect(spaceFromSchema({ type: 'object', additionalProperties: true }).kind).toBe('json');
    const dict = spaceFromSchema(json(z.object({ x: z.int(), y: z.string().optional() }))) as DictSpace;
    expect(dict.required).toEqual(['x']);
  });

  it('maps the recorded OpenEnv schemas (pydantic $ref, anyOf) and every built-in env', () => {
    expect(kindOf(spacesFromSchema(recorded('grid_world_env.jsonl')).action)).toEqual({ action: 'discrete', metadata: 'json' });
    const mcp = spacesFromSchema(recorded('echo_env.jsonl'));
    expect(kindOf(mcp.action)).toEqual({ metadata: 'json', type: 'discrete', tool_name: 'text', arguments: 'json' });
    expect(((mcp.observation as DictSpace).spaces['error'] as OneOfSpace).spaces.map((s) => s.kind)).toEqual(['dict', 'discrete']);
    const cartpole = spacesFromSchema(buildSchemaResponse(builtinEnvs['cartpole']!));
    expect(kindOf(cartpole.action)).toEqual({ action: 'discrete' });
    // done, reward and metadata travel beside the observation, not in it.
    expect(kindOf(cartpole.observation)).toEqual({ cart_position: 'box', cart_velocity: 'box', pole_angle: 'box', pole_angular_velocity: 'box' });
    expect(kindOf(spacesFromSchema(buildSchemaResponse(builtinEnvs['frozen_lake']!)).observation)).toEqual({ position: 'box', row: 'box', col: 'box', tile: 'discrete' });
  });

  it('refuses a schema that is not an object with ERR_INVALID_OPTION', () => {
    expect(() => spaceFromSchema('integer' as unknown as Record<string, unknown>)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'schema' }));
  });
});

describe('sample() and contains()', () => {
  const schemas: [string, Record<string, unknown>][] = [
    ...Object.entries(builtinEnvs).flatMap(([name, def]) => {
      const r = buildSchemaResponse(def);
      return [[`${name} action`, r.action], [`${name} observation`, r.observation], [`${name} state`, r.state]] as [string, Record<string, unknown>][];
    }),
    ['recorded grid_world action', recorded('grid_world_env.jsonl').action],
    ['recorded echo action', recorded('echo_env.jsonl').action],
    ['shapes', json(z.object({ grid: z.array(z.array(z.number().min(-1).max(1)).length(2)).length(2), picks: z.array(z.int().min(0).max(2)).length(3), tag: z.string().nullable(), n: z.int().gt(0).lt(4) }))],
  ];

  it.each(schemas)('%s: every sample is contained, a seed repeats its sample, the own generator moves on', (_name, schema) => {
    const space = spaceFromSchema(schema, { seed: 9 });
    for (let i = 0; i < 200; i++) expect(space.contains(space.sample())).toBe(true);
    expect(space.sample(4)).toEqual(space.sample(4));
    expect(spaceFromSchema(schema, { seed: 9 }).sample()).toEqual(spaceFromSchema(schema, { seed: 9 }).sample());
    const generator = mulberry32(1);
    expect(space.contains(space.sample(generator))).toBe(true);
  });

  it('samples every member of a Discrete space, each about equally often', () => {
    const space = spaceFromSchema({ type: 'integer', minimum: 0, maximum: 3 }, { seed: 5 });
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[space.sample() as number]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(850);
    expect(new Set(Array.from({ length: 20 }, () => JSON.stringify(space.sample()))).size).toBeGreaterThan(1);
  });

  it('contains() rejects wrong types, non-members, out-of-range numbers, missing required and unknown keys', () => {
    const { action, observation } = spacesFromSchema(buildSchemaResponse(builtinEnvs['grid_world']!));
    expect(action.contains({ action: 'UP' })).toBe(true);
    expect(action.contains({ action: 'NORTH' })).toBe(false);
    expect(action.contains({})).toBe(false);
    expect(action.contains({ action: 'UP', extra: 1 })).toBe(false); // additionalProperties: false
    expect(action.contains('UP')).toBe(false);
    expect(observation.contains({ x: 1, y: 2, message: '' })).toBe(true);
    expect(observation.contains({ x: 1.5, y: 2 })).toBe(false);
    const box = spaceFromSchema({ type: 'number', minimum: 0, exclusiveMaximum: 1 });
    expect([0, 0.5, 1, -0.1, Number.NaN].map((v) => box.contains(v))).toEqual([true, true, false, false, false]);
  });
});
