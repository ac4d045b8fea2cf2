import { mulberry32 } from '../internal/mulberry32.js';
import { randomChooser, sampleJsonSchema } from './sample-json-schema.js';

/**
 * A uniform random policy over an action JSON Schema (from `session.schema()` or
 * `z.toJSONSchema(actionSchema)`). Seeded, so a rollout with the same seed sends the same actions.
 *
 * @example
 * const policy = randomPolicy({ type: 'object', required: ['action'],
 *   properties: { action: { enum: ['UP', 'DOWN', 'LEFT', 'RIGHT'] } } }, { seed: 7 });
 * policy(); // { action: 'LEFT' } (for instance)
 */
export function randomPolicy<A = Record<string, unknown>>(actionSchema: Record<string, unknown>, options: { seed?: number } = {}): () => A {
  const chooser = randomChooser(options.seed === undefined ? Math.random : mulberry32(options.seed));
  return () => sampleJsonSchema(actionSchema, chooser) as A;
}
