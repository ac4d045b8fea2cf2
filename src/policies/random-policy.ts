import { mulberry32 } from '../internal/mulberry32.js';
import { randomAction } from './legal-actions.js';
import { randomChooser } from './sample-json-schema.js';

/**
 * A uniform random policy over an action JSON Schema (from `session.schema()` or
 * `z.toJSONSchema(actionSchema)`). When the observation lists its legal actions (`legal_actions`,
 * `valid_actions`, `action_mask`, ...; see `legalActionsOf`) it picks one of those instead.
 * Seeded, so a rollout with the same seed sends the same actions.
 *
 * @example
 * const policy = randomPolicy({ type: 'object', required: ['action'],
 *   properties: { action: { enum: ['UP', 'DOWN', 'LEFT', 'RIGHT'] } } }, { seed: 7 });
 * policy(); // { action: 'LEFT' } (for instance)
 * policy({ legal_actions: ['UP'] }); // { action: 'UP' }
 */
export function randomPolicy<A = Record<string, unknown>>(actionSchema: Record<string, unknown>, options: { seed?: number } = {}): (observation?: unknown) => A {
  const chooser = randomChooser(options.seed === undefined ? Math.random : mulberry32(options.seed));
  return (observation?: unknown) => randomAction(actionSchema, observation, chooser) as A;
}
