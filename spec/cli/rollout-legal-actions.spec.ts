import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { runCliChild, useCliServers } from './cli-child.js';

const columnsEnv = './spec/cli/fixtures/columns-env.mjs';
const mazeLikeEnv = './spec/cli/fixtures/maze-like-env.mjs';

describe('openenv-rx rollout --policy random against envs with strict actions (real processes)', () => {
  const served = useCliServers();

  it('honours an integer-enum action schema and picks among the legal_actions of each observation', async () => {
    const started = await served([columnsEnv, '--port', '0', '--max-sessions', '2']);
    const { code, out, err } = await runCliChild(['rollout', '--url', started.url, '-n', '8', '-s', '2', '--seed', '1', '--json']);
    expect(err).not.toMatch(/ERR_/);
    expect(code).toBe(0);
    const report = JSON.parse(out) as RolloutReport;
    // Only legal columns were played: every episode plays all 7 once and ends on its own.
    expect(report.perEpisode).toHaveLength(8);
    for (const episode of report.perEpisode) expect(episode).toMatchObject({ return: 7, length: 7, terminated: true, truncated: false });
  }, 120_000);

  it('stops at the first action the server rejects with ONE error naming the field and its schema', async () => {
    const started = await served([mazeLikeEnv, '--port', '0']);
    const { code, err } = await runCliChild(['rollout', '--url', started.url, '-n', '200', '-s', '2', '--seed', '1']);
    expect(code).toBe(1);
    const errors = err.split('\n').filter((l) => l.startsWith('openenv-rx:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^openenv-rx: ERR_ACTION_REJECTED: The server rejected the action \{"action":\d+\} \(EXECUTION_ERROR: \d+ is not a valid Action\)/);
    expect(errors[0]).toContain('Field "action" has schema {"type":"integer","title":"Action"}');
    expect(err).toContain('--policy ./my-policy.js');
  }, 120_000);
});
