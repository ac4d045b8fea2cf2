import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { runCliChild, useCliServers } from './cli-child.js';

const greedy = './examples/cli/greedy-grid-policy.mjs';
const coinEnv = './examples/cli/coin-env.mjs';

describe('openenv-rx rollout --policy ./module.js (real processes)', () => {
  it('runs the example policy module: every grid_world episode walks straight to the goal', async () => {
    const { code, out, err } = await runCliChild(['rollout', '--env', 'grid_world', '--policy', greedy, '-n', '3', '--json']);
    expect(err).not.toMatch(/ERR_/);
    expect(code).toBe(0);
    const report = JSON.parse(out) as RolloutReport;
    expect(report.policy).toBe(greedy);
    // 7 * -0.1 + 1.0 in floats is 0.30000000000000004: rows are denoised.
    expect(report.perEpisode.map((e) => [e.return, e.length, e.terminated])).toEqual([
      [0.3, 8, true],
      [0.3, 8, true],
      [0.3, 8, true],
    ]);
    expect(report.overall.return.mean).toBe(0.3);
  }, 60_000);

  it('accepts a policy answering with an Observable, and prints rounded numbers on the terminal', async () => {
    const { code, out } = await runCliChild(['rollout', '--policy', './spec/cli/fixtures/observable-grid-policy.mjs', '-n', '2', '-s', '1']);
    expect(code).toBe(0);
    expect(out).toMatch(/^all\s+2\s+0\.3\s+0\s+0\.3\s+0\.3\s+8\s/m);
    expect(out).not.toMatch(/0\.3000000/);
  }, 60_000);

  it.each([
    [['--policy', './spec/cli/fixtures/not-a-policy.mjs'], /--policy \.\/spec\/cli\/fixtures\/not-a-policy\.mjs: the default export must be a policy function/],
    [['--policy', './nowhere/policy.js'], /--policy \.\/nowhere\/policy\.js: no such file/],
    [['--policy', './src/policies/random-policy.ts'], /Node cannot import TypeScript directly/],
  ])('fails clearly for %j', async (flags, message) => {
    const { code, err } = await runCliChild(['rollout', ...flags, '-n', '1']);
    expect(code).toBe(1);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('openenv-rx serve ./env-module.js (real processes)', () => {
  const served = useCliServers();

  it('serves the example env module: it passes validate, and rollout plays it with its legal actions', async () => {
    const started = await served([coinEnv, '--port', '0']);
    expect(started.cli.stdout()).toMatch(/serving coin on/);
    const validate = await runCliChild(['validate', '--url', started.url]);
    expect(validate.err).not.toMatch(/FAIL/);
    expect(validate.code).toBe(0);
    const { code, out } = await runCliChild(['rollout', '--url', started.url, '--env', 'coin', '-n', '4', '--seed', '2', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as RolloutReport;
    // --env NAME with --url labels the run NAME (URL), as docs/cli.md says.
    expect(report.target).toBe(`coin (${started.url})`);
    for (const e of report.perEpisode) {
      expect(e).toMatchObject({ length: 10, terminated: true });
      expect(e.return).toBeGreaterThanOrEqual(0);
      expect(e.return).toBeLessThanOrEqual(10);
    }
    expect(await started.cli.stop()).toBe(0);
  }, 120_000);

  it('rollout --env ./module.js serves it in-process', async () => {
    const { code, out } = await runCliChild(['rollout', '--env', coinEnv, '-n', '2', '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(out) as RolloutReport).target).toBe('coin (in-process)');
  }, 60_000);

  it('refuses a module without an env definition, naming the file and the expected export', async () => {
    const { code, err } = await runCliChild(['serve', './spec/cli/fixtures/not-a-policy.mjs', '--port', '0']);
    expect(code).toBe(1);
    expect(err).toMatch(/serve \.\/spec\/cli\/fixtures\/not-a-policy\.mjs: the module must export an env definition/);
  }, 60_000);

  it('names the built-ins and the module form for an unknown env', async () => {
    const { code, err } = await runCliChild(['serve', 'pong', '--port', '0']);
    expect(code).toBe(1);
    expect(err).toMatch(/Unknown env "pong"; valid names: echo, echo_mcp, grid_world/);
    expect(err).toMatch(/\(\.\/my-env\.js\)/);
  }, 60_000);
});
