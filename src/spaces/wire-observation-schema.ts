import { isRecord } from '../internal/is-record.js';
import type { JsonSchema } from '../policies/json-schema.js';

/** OpenEnv's base observation fields: in `/schema`, never in an observation on the wire (they travel beside it). */
const ENVELOPE_FIELDS = ['done', 'reward', 'metadata'] as const;

/**
 * The observation schema of `/schema` as the client sees observations: OpenEnv lists `done`,
 * `reward` and `metadata` among the observation's properties, but servers send them beside the
 * observation (`{ observation, reward, done }`) and drop `metadata`. Removes those three when they
 * are optional properties; leaves the schema alone otherwise.
 *
 * @example
 * wireObservationSchema({ type: 'object', properties: { done: { type: 'boolean' }, x: { type: 'integer' } }, required: ['x'] });
 * // { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] }
 */
export function wireObservationSchema(schema: JsonSchema): JsonSchema {
  const properties = schema['properties'];
  if (!isRecord(properties)) return schema;
  const required = Array.isArray(schema['required']) ? schema['required'] : [];
  const drop = ENVELOPE_FIELDS.filter((name) => name in properties && !required.includes(name));
  if (!drop.length) return schema;
  const kept = Object.fromEntries(Object.entries(properties).filter(([name]) => !(drop as readonly string[]).includes(name)));
  return { ...schema, properties: kept };
}
