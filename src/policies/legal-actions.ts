import { isRecord } from '../internal/is-record.js';
import { matchesJsonSchema, resolveRef, typesOf, type JsonSchema } from './json-schema.js';
import { sampleJsonSchema, type SampleChooser } from './sample-json-schema.js';

/** Observation keys that list the legal actions (OpenEnv envs use `legal_actions`). */
const LEGAL_ACTION_KEYS = [
  'legal_actions',
  'legalActions',
  'valid_actions',
  'validActions',
  'available_actions',
  'availableActions',
  'legal_moves',
  'legalMoves',
  'valid_moves',
  'validMoves',
] as const;
/** Observation keys holding a mask over action indices (truthy = legal). */
const ACTION_MASK_KEYS = ['action_mask', 'actionMask', 'legal_actions_mask', 'legal_action_mask'] as const;

/** Field names preferred when a legal value fits several action fields. */
const PREFERRED_FIELDS = ['action', 'action_id', 'actionId', 'move', 'column', 'index', 'choice', 'id'];

/**
 * The legal actions an observation lists, or `undefined` when it lists none. Reads the first of
 * `legal_actions`, `legalActions`, `valid_actions`, `available_actions`, `legal_moves` (and
 * camelCase forms) that is an array, else turns an `action_mask` (booleans or 0/1) into the
 * indices it allows.
 *
 * @example
 * legalActionsOf({ board: [], legal_actions: [0, 3, 6] }); // [0, 3, 6]
 * legalActionsOf({ action_mask: [1, 0, 1] });              // [0, 2]
 */
export function legalActionsOf(observation: unknown): unknown[] | undefined {
  if (!isRecord(observation)) return undefined;
  for (const key of LEGAL_ACTION_KEYS) {
    if (Array.isArray(observation[key])) return observation[key] as unknown[];
  }
  for (const key of ACTION_MASK_KEYS) {
    const mask = observation[key];
    if (Array.isArray(mask)) return mask.flatMap((allowed, i) => (allowed === true || allowed === 1 ? [i] : []));
  }
  return undefined;
}

/**
 * Turns one legal action into an action object for `actionSchema`:
 * - an object is the action itself;
 * - a scalar (a column, an action id, a move string) goes into the one action field whose schema
 *   accepts it: the required fields are tried first, and among several fits a field named
 *   `action`, `action_id`, `move`, `column`, ... wins, else the first. Other required fields are
 *   sampled from their schemas with `choose`;
 * - when the action schema itself is a scalar schema the value is the action.
 * Returns `undefined` when no field accepts the value (the caller then samples freely).
 *
 * @example
 * actionFromLegal({ type: 'object', required: ['column'], properties: { column: { type: 'integer' } } }, 3, firstChoice);
 * // { column: 3 }
 */
export function actionFromLegal(actionSchema: JsonSchema, legal: unknown, choose: SampleChooser): unknown {
  if (isRecord(legal)) return legal;
  const schema = resolveRef(actionSchema, actionSchema) ?? actionSchema;
  const isObjectSchema = typesOf(schema).includes('object') || isRecord(schema['properties']);
  if (!isObjectSchema) return matchesJsonSchema(schema, legal, actionSchema) ? legal : undefined;
  const field = fieldFor(schema, legal, actionSchema);
  if (field === undefined) return undefined;
  const sampled = sampleJsonSchema(actionSchema, choose);
  return { ...(isRecord(sampled) ? sampled : {}), [field]: legal };
}

/** The action field that a scalar legal value belongs to (see `actionFromLegal`). */
function fieldFor(schema: JsonSchema, legal: unknown, root: JsonSchema): string | undefined {
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required']) ? schema['required'].filter((n): n is string => typeof n === 'string') : [];
  const fits = (names: string[]) => names.filter((name) => name in properties && matchesJsonSchema(properties[name], legal, root));
  const candidates = fits(required).length ? fits(required) : fits(Object.keys(properties));
  if (candidates.length <= 1) return candidates[0];
  return PREFERRED_FIELDS.find((name) => candidates.includes(name)) ?? candidates.find((name) => /action/i.test(name)) ?? candidates[0];
}

/**
 * A random action for an observation: one of its legal actions when it lists any (mapped with
 * `actionFromLegal`), otherwise a sample of the action schema.
 *
 * @example
 * randomAction(schema, { legal_actions: [2, 5] }, randomChooser(mulberry32(1))); // { column: 2 } or { column: 5 }
 */
export function randomAction(actionSchema: JsonSchema, observation: unknown, choose: SampleChooser): unknown {
  const legal = legalActionsOf(observation);
  if (legal && legal.length) {
    const action = actionFromLegal(actionSchema, legal[choose.index(legal.length)], choose);
    if (action !== undefined) return action;
  }
  return sampleJsonSchema(actionSchema, choose);
}
