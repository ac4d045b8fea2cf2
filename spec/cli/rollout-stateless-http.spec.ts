import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { runCliChild, useCliServers } from './cli-child.js';

const greedy = './examples/cli/greedy-grid-policy.mjs';

/**
 * Issue 10 #6 from the command line: `serve` is generation H (HTTP `/reset` and `/step` run on a
 * fresh env each, episodes live on `/ws`), so an HTTP rollout against it would be nonsense.
 */
describe('openenv-rx rollout --transport http against a server that keeps no state over HTTP (real processes)', () => {
  const served = useCliServers();

  it('is refused before any episode with the typed error, why, and the flag that fixes it', async () => {
    const { url } = await served(['grid_world', '--port', '0', '--max-sessions', '1']);
    const { code, out, err } = await runCliChild(['rollout', '--url', url, '--transport', 'http', '-n', '2', '-s', '1', '--json']);
    expect(code).toBe(1);
    expect(out).toBe(''); // no report of nonsense episodes
    const errors = err.split('\n').filter((line) => line.startsWith('openenv-rx:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^openenv-rx: ERR_STATELESS_HTTP: Refusing to run an episode over transport 'http': this server keeps no state between HTTP requests/);
    // CLI words, not library options: the flag to pass, never `{ allowStatelessEpisodes: true }`.
    expect(err).toMatch(/Use --transport ws or --transport auto \(the default\)/);
    expect(err).toMatch(/\n  --transport http is for servers without \/ws \(OpenEnv generation A\)/);
    expect(err).not.toMatch(/allowStatelessEpisodes|transport 'ws' or 'auto'/);
    expect(err).not.toMatch(/\n\s+at /); // no stack
  }, 60_000);

  it('--transport auto (the default) runs the same episodes over /ws, where the env keeps its state', async () => {
    const { url } = await served(['grid_world', '--port', '0', '--max-sessions', '1']);
    const { code, out, err } = await runCliChild(['rollout', '--url', url, '--transport', 'auto', '--policy', greedy, '-n', '2', '-s', '1', '--max-steps', '40', '--json']);
    expect(err).not.toMatch(/openenv-rx: ERR_/);
    expect(code).toBe(0);
    // The greedy walk reaches the goal in 8 steps only when each step moves the same env.
    expect((JSON.parse(out) as RolloutReport).perEpisode.map((e) => [e.length, e.terminated])).toEqual([
      [8, true],
      [8, true],
    ]);
  }, 60_000);
});
