import { z } from 'zod';
import { randomPolicy } from '../../src/policies/random-policy.js';
import { sampleJsonSchema } from '../../src/policies/sample-json-schema.js';
import { loadTranscript, type HttpExchange } from '../helpers/transcripts.js';

const recordedSchema = (file: string) =>
  (loadTranscript<HttpExchange>(file).find((r) => r.path === '/schema')!.response_body as { action: Record<string, unknown> }).action;

describe('sampleJsonSchema', () => {
  it('builds a valid grid_world action from the recorded pydantic schema ($ref into $defs)', () => {
    expect(sampleJsonSchema(recordedSchema('grid_world_env.jsonl'))).toEqual({ action: 'UP' });
  });

  it('builds a valid MCP call_tool action (const, required-only properties)', () => {
    expect(sampleJsonSchema(recordedSchema('echo_env.jsonl'))).toEqual({ tool_name: 'hello' });
  });

  it('respects numeric bounds and string minLength of zod-generated schemas', () => {
    const schema = z.toJSONSchema(z.object({ n: z.number().int().min(3).max(5), s: z.string().min(12) })) as Record<string, unknown>;
    const value = sampleJsonSchema(schema) as { n: number; s: string };
    expect(value.n).toBe(3);
    expect(value.s.length).toBeGreaterThanOrEqual(12);
  });
});

describe('randomPolicy', () => {
  const action = z.object({ action: z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) });
  const schema = z.toJSONSchema(action) as Record<string, unknown>;

  it('only produces actions that pass the action schema, covering every enum member', () => {
    const policy = randomPolicy(schema, { seed: 3 });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(action.parse(policy()).action);
    expect([...seen].sort()).toEqual(['DOWN', 'LEFT', 'RIGHT', 'UP']);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const run = (seed: number) => {
      const p = randomPolicy(schema, { seed });
      return Array.from({ length: 20 }, () => JSON.stringify(p()));
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  it('samples integers inside [minimum, maximum]', () => {
    const p = randomPolicy(z.toJSONSchema(z.object({ action: z.number().int().min(0).max(1) })) as Record<string, unknown>, { seed: 1 });
    const values = new Set(Array.from({ length: 100 }, () => (p() as { action: number }).action));
    expect([...values].sort()).toEqual([0, 1]);
  });
});
