import { join } from 'node:path';
import { ServerError } from '../../src/errors/protocol-errors.js';
import { explainRejectedAction } from '../../src/policies/explain-rejected-action.js';
import { cli, gridWorldForSuite } from './cli-support.js';

/**
 * A server that rejects an action the user's own `--policy` chose: the error explains it from the
 * server's answer and names that policy; it never says "schema undefined", never claims the
 * schema allowed the value, and never tells the user to pass the --policy they passed.
 * A real grid_world server on 127.0.0.1 (no client-side schema: the server is the one refusing). The
 * random policy's explanation and hint (its schema allowed what the env refused) are checked in
 * spec/cli/rollout-legal-actions.spec.ts.
 */
const illegalMove = './spec/cli/fixtures/illegal-move-policy.mjs';
const wrongField = './spec/cli/fixtures/wrong-field-policy.mjs';

describe('ERR_ACTION_REJECTED with a user --policy', () => {
  const server = gridWorldForSuite('openenv-rx-rejected-');
  const { dir } = server;

  function expectExplainedFromTheServer(err: string, policy: string): void {
    expect(err).toMatch(/^openenv-rx: ERR_ACTION_REJECTED: /m);
    expect(err).toContain(`--policy ${policy}`);
    expect(err).toMatch(/VALIDATION_ERROR/);
    expect(err).not.toMatch(/schema undefined/);
    expect(err).not.toMatch(/it allows values this env does not accept/);
    expect(err).not.toMatch(/Pass --policy/);
  }

  it('rollout: a value the schema does not allow', async () => {
    const { code, err } = await cli('rollout', '--url', server.url, '--policy', illegalMove, '-n', '1', '-s', '1');
    expect(code).toBe(1);
    expectExplainedFromTheServer(err, illegalMove);
    // The schema is named when GET /schema answered before the refused step (a race the run does not wait on).
    expect(err).toMatch(/Field "action" has schema \{"type":"string","enum":\["UP","DOWN","LEFT","RIGHT"\]|The server objected to field "action"\./);
  });

  it('rollout: a field the schema does not have', async () => {
    const { code, err } = await cli('rollout', '--url', server.url, '--policy', wrongField, '-n', '1', '-s', '1');
    expect(code).toBe(1);
    expectExplainedFromTheServer(err, wrongField);
    expect(err).toMatch(/Field "move" is not in the action schema|The server objected to field "move"\./);
  });

  it('collect: the same explanation', async () => {
    const { code, err } = await cli('collect', '-o', join(dir, 'c'), '--url', server.url, '--policy', illegalMove, '-n', '1', '-s', '1');
    expect(code).toBe(1);
    expectExplainedFromTheServer(err, illegalMove);
  });
});

describe('explainRejectedAction wording (every case, without the race on /schema)', () => {
  const schema = { type: 'object', required: ['action'], properties: { action: { type: 'string', enum: ['UP', 'DOWN'] } } };
  const refused = () => new ServerError('VALIDATION_ERROR', 'Invalid message', {}, { request: 'step' });

  it.each([
    ['a user policy, the field in the schema', schema, { action: 'JUMP' }, /that --policy \.\/p\.js chose \(VALIDATION_ERROR: Invalid message\)\. Field "action" has schema \{"type":"string","enum":\["UP","DOWN"\]\}\. The policy must send actions the server accepts\. \[during step\]$/],
    ['a user policy, a field the schema lacks', schema, { move: 'UP' }, /chose \(VALIDATION_ERROR: Invalid message\)\. Field "move" is not in the action schema \{.*\}\. The policy must/],
    ['a user policy, no schema known', {}, { move: 'UP' }, /chose \(VALIDATION_ERROR: Invalid message\)\. The server objected to field "move"\. The policy must/],
  ])('%s', (_what, actionSchema, action, wording) => {
    const message = explainRejectedAction(refused(), actionSchema, action, { chosenBy: '--policy ./p.js' })!.message;
    expect(message).toMatch(wording);
    expect(message).not.toMatch(/undefined|it allows values/);
  });

  it('without chosenBy (a policy sampling the schema) the schema is blamed, as before', () => {
    expect(explainRejectedAction(refused(), schema, { action: 'UP' })!.message).toMatch(
      /^The server rejected the action \{"action":"UP"\} \(VALIDATION_ERROR: Invalid message\)\. Field "action" has schema .*: it allows values this env does not accept, so the policy must choose/,
    );
  });
});
