import { join } from 'node:path';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { cli, gridWorldForSuite } from './cli-support.js';

/**
 * What rollout and collect say they run: `--env NAME` with `--url` labels the output (docs/cli.md),
 * and the start line counts the sessions that open (never more than the episodes) with plurals
 * that agree. A real grid_world server on 127.0.0.1; the CLI in-process.
 */
const startLine = (err: string, command: string): string => err.split('\n').find((l) => l.startsWith(`${command}: `)) ?? '';

describe('labels and counts', () => {
  const server = gridWorldForSuite('openenv-rx-labels-');
  const { dir } = server;

  it('rollout --url --env NAME: the start line, the summary and the JSON target name the env and the URL', async () => {
    const { code, out, err } = await cli('rollout', '--url', server.url, '--env', 'my_grid', '-n', '2', '-s', '1', '--json');
    expect(code).toBe(0);
    expect(startLine(err, 'rollout')).toMatch(new RegExp(`^rollout: 2 episodes of my_grid \\(${server.url}\\) over 1 session, `));
    expect((JSON.parse(out) as RolloutReport).target).toBe(`my_grid (${server.url})`);
  });

  it('rollout --url without --env: labelled by the URL alone', async () => {
    const { code, out } = await cli('rollout', '--url', server.url, '-n', '1', '-s', '1', '--json');
    expect(code).toBe(0);
    expect((JSON.parse(out) as RolloutReport).target).toBe(server.url);
  });

  it('rollout -n 1 -s 3: one episode over the one session that opens', async () => {
    const { code, err } = await cli('rollout', '-n', '1', '-s', '3');
    expect(code).toBe(0);
    expect(startLine(err, 'rollout')).toMatch(/^rollout: 1 episode of grid_world \(in-process\) over 1 session, policy random/);
  });

  it('collect --url --env NAME -n 1 -s 4: labelled, one episode over one session', async () => {
    const { code, out, err } = await cli('collect', '-o', join(dir, 'one'), '--url', server.url, '--env', 'my_grid', '-n', '1', '-s', '4');
    expect(code).toBe(0);
    expect(startLine(err, 'collect')).toMatch(new RegExp(`^collect: 1 episode of my_grid \\(${server.url}\\) over 1 session, `));
    expect(out).toMatch(new RegExp(`^collect: my_grid \\(${server.url}\\) -> `, 'm'));
  });
});
