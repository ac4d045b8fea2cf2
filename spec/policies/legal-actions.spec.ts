import { CapacityError, HttpStatusError, ServerError } from '../../src/errors/protocol-errors.js';
import { mulberry32 } from '../../src/internal/mulberry32.js';
import { explainRejectedAction } from '../../src/policies/explain-rejected-action.js';
import { actionFromLegal, legalActionsOf, randomAction } from '../../src/policies/legal-actions.js';
import { randomPolicy } from '../../src/policies/random-policy.js';
import { firstChoice, randomChooser } from '../../src/policies/sample-json-schema.js';

const connect4 = { type: 'object', required: ['column'], properties: { column: { type: 'integer' } } };

describe('legalActionsOf', () => {
  it.each([
    [{ legal_actions: [1, 2] }, [1, 2]],
    [{ legalActions: ['e2e4'] }, ['e2e4']],
    [{ valid_actions: [0] }, [0]],
    [{ available_actions: [3] }, [3]],
    [{ action_mask: [true, false, true] }, [0, 2]],
    [{ actionMask: [0, 1, 1] }, [1, 2]],
    [{ board: [] }, undefined],
    ['not an object', undefined],
  ])('reads %j', (observation, expected) => {
    expect(legalActionsOf(observation)).toEqual(expected);
  });
});

describe('actionFromLegal', () => {
  it('puts a scalar into the one field that accepts it, sampling the other required fields', () => {
    const schema = {
      type: 'object',
      required: ['player', 'action_id'],
      properties: { player: { type: 'string', enum: ['x'] }, action_id: { type: 'integer', minimum: 0 } },
    };
    expect(actionFromLegal(schema, 4, firstChoice)).toEqual({ player: 'x', action_id: 4 });
  });
  it('prefers a field named like an action when several fit, and maps through $ref', () => {
    const schema = {
      type: 'object',
      required: ['count', 'action'],
      properties: { count: { type: 'integer' }, action: { $ref: '#/$defs/A' } },
      $defs: { A: { type: 'integer', enum: [0, 1, 2, 3] } },
    };
    expect(actionFromLegal(schema, 2, firstChoice)).toEqual({ count: 0, action: 2 });
    expect(actionFromLegal(schema, 9, firstChoice)).toEqual({ count: 9, action: 0 });
  });
  it('uses an object as the action, and gives up on a value no field accepts', () => {
    expect(actionFromLegal(connect4, { column: 1 }, firstChoice)).toEqual({ column: 1 });
    expect(actionFromLegal(connect4, 'north', firstChoice)).toBeUndefined();
  });
});

describe('randomAction / randomPolicy with legal actions', () => {
  it('only picks listed actions, and every one of them', () => {
    const policy = randomPolicy<{ column: number }>(connect4, { seed: 4 });
    const seen = new Set(Array.from({ length: 200 }, () => policy({ legal_actions: [1, 5, 6] }).column));
    expect(seen).toEqual(new Set([1, 5, 6]));
  });
  it('falls back to the schema without a list', () => {
    const chooser = randomChooser(mulberry32(2));
    for (let i = 0; i < 50; i++) expect(randomAction({ ...connect4, properties: { column: { type: 'integer', enum: [7] } } }, {}, chooser)).toEqual({ column: 7 });
  });
});

describe('explainRejectedAction', () => {
  const maze = { type: 'object', required: ['action'], properties: { action: { type: 'integer' } } };
  it('names the field whose value the EXECUTION_ERROR message quotes, and its schema', () => {
    const error = new ServerError('EXECUTION_ERROR', '5 is not a valid Action', {}, { request: 'step', stepIndex: 3 });
    const explained = explainRejectedAction(error, maze, { action: 5 })!;
    expect(explained.code).toBe('ERR_ACTION_REJECTED');
    expect(explained.field).toBe('action');
    expect(explained.fieldSchema).toEqual({ type: 'integer' });
    expect(explained.message).toContain('Field "action" has schema {"type":"integer"}');
    expect(explained.message).toContain('EXECUTION_ERROR: 5 is not a valid Action');
    expect(explained.context.stepIndex).toBe(3);
    expect(explained.cause).toBe(error);
  });
  it('takes the field from a VALIDATION_ERROR or 422 loc', () => {
    const schema = { type: 'object', required: ['a', 'b'], properties: { a: { type: 'integer' }, b: { $ref: '#/$defs/B' } }, $defs: { B: { type: 'string', enum: ['x'] } } };
    const ws = new ServerError('VALIDATION_ERROR', 'Invalid action', { errors: [{ type: 'enum', loc: ['b'], msg: 'bad', input: 'y' }] });
    expect(explainRejectedAction(ws, schema, { a: 1, b: 'y' })!.fieldSchema).toEqual({ type: 'string', enum: ['x'] });
    const http = new HttpStatusError(422, {}, [{ type: 'enum', loc: ['body', 'action', 'b'], msg: 'bad', input: 'y' }], { request: 'step' });
    expect(explainRejectedAction(http, schema, { a: 1, b: 'y' })!.field).toBe('b');
  });
  it('ignores errors that are not a rejected step', () => {
    expect(explainRejectedAction(new CapacityError('full', {}), maze, { action: 1 })).toBeUndefined();
    expect(explainRejectedAction(new ServerError('EXECUTION_ERROR', 'boom', {}, { request: 'reset' }), maze, undefined)).toBeUndefined();
    expect(explainRejectedAction(new Error('x'), maze, { action: 1 })).toBeUndefined();
  });
});
