import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { runCliChild, useCliServers } from './cli-child.js';

describe('openenv-rx rollout against a server at its session limit (real processes)', () => {
  const served = useCliServers();

  it('with default options waits for free slots, runs every episode and reports the refusals', async () => {
    const started = await served(['grid_world', '--port', '0', '--max-sessions', '1']);
    const { code, out, err } = await runCliChild(['rollout', '--url', started.url, '-n', '6', '--max-steps', '40', '--seed', '3', '--json']);
    expect(err).not.toMatch(/openenv-rx: ERR_/);
    expect(code).toBe(0);
    const report = JSON.parse(out) as RolloutReport;
    expect(report.overall.episodes).toBe(6);
    expect(report.perEpisode.map((e) => e.seed)).toEqual([3, 4, 5, 6, 7, 8]);
    // 3 sessions against 1 slot: the two others were refused at least once, never two at a time.
    expect(report.capacity.refusals).toBeGreaterThanOrEqual(2);
    expect(report.capacity.maxRunning).toBe(1);
    expect(err).toMatch(/1\/3 sessions running/);
    expect(err).toMatch(/\d+ refused/);
  }, 120_000);

  it('prints the refusals in the terminal summary', async () => {
    const started = await served(['grid_world', '--port', '0', '--max-sessions', '1']);
    const { code, out } = await runCliChild(['rollout', '--url', started.url, '-n', '4', '-s', '2', '--max-steps', '20']);
    expect(code).toBe(0);
    expect(out).toMatch(/capacity: the server refused \d+ session attempt\(s\); at most 1 of 2 session\(s\) ran at once/);
  }, 120_000);

  it('--no-retry-capacity fails at the first refusal with the capacity error and what to do', async () => {
    const started = await served(['grid_world', '--port', '0', '--max-sessions', '1']);
    const { code, err } = await runCliChild(['rollout', '--url', started.url, '-n', '6', '--no-retry-capacity']);
    expect(code).toBe(1);
    expect(err).toMatch(/openenv-rx: ERR_CAPACITY: .*CAPACITY_REACHED/);
    expect(err).toMatch(/lower --sessions/);
    // A URL target is not labelled with the default env name.
    expect(err).not.toMatch(/env grid_world/);
  }, 120_000);

  it('serve defaults to 8 sessions and says so in --help', async () => {
    const help = await runCliChild(['serve', '--help']);
    expect(help.out.replace(/\s+/g, " ")).toMatch(/--max-sessions <n> .*Default 8: plenty for local rollouts/);
    const started = await served(['grid_world', '--port', '0']);
    expect(started.cli.stdout()).toMatch(/\(8 sessions\)/);
    const { code, out } = await runCliChild(['rollout', '--url', started.url, '-n', '3', '--max-steps', '10', '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(out) as RolloutReport).capacity.refusals).toBe(0);
  }, 120_000);
});
