import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { runCliChild, serveCli, type CliChild } from './cli-child.js';
import { cli } from './cli-support.js';

const greedy = './examples/cli/greedy-grid-policy.mjs';

/** Issue 10 #10 from the command line: URLs as users paste them. */
describe('openenv-rx with server URLs as users paste them (real processes)', () => {
  // One server for the file: each test's clients close their sessions before it ends.
  let server: CliChild;
  let url: string;
  beforeAll(async () => {
    ({ cli: server, url } = await serveCli(['grid_world', '--port', '0', '--max-sessions', '4']));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('rollout --url <server>/ws, /health, / and /ws/ run the episodes against the server', async () => {
    const runs = await Promise.all(
      ['/ws', '/health', '/', '/ws/'].map((suffix) => runCliChild(['rollout', '--url', `${url}${suffix}`, '--policy', greedy, '-n', '1', '-s', '1', '--json'])),
    );
    for (const { code, out, err } of runs) {
      expect(err).not.toMatch(/openenv-rx: /);
      expect(code).toBe(0);
      const report = JSON.parse(out) as RolloutReport;
      expect(report.target).toBe(url); // the base URL the sessions used
      expect(report.perEpisode.map((e) => [e.length, e.terminated])).toEqual([[8, true]]);
    }
  }, 90_000);

  it('validate --url <server>/ws and /health/ check the server: every check passes', async () => {
    const runs = await Promise.all(['/ws', '/health/'].map((suffix) => runCliChild(['validate', '--url', `${url}${suffix}`, '--json'])));
    for (const { code, out } of runs) {
      const report = JSON.parse(out) as { url: string; results: Array<{ id: string; ok: boolean }> };
      expect(report.results.filter((r) => !r.ok)).toEqual([]);
      expect(report.results.length).toBeGreaterThanOrEqual(12);
      expect(code).toBe(0);
    }
  }, 90_000);

  const secretUrls: Array<[string, (port: string) => string, RegExp]> = [
    ['credentials', (port) => `http://alice:hunter2-secret@127.0.0.1:${port}/`, /credentials do not belong in the URL/],
    ['a query token', (port) => `http://127.0.0.1:${port}/?token=hunter2-secret`, /a query does not belong in a server URL/],
  ];

  // Refused while parsing the flags, before any connection: in this process (runCli, the same
  // code as the binary's main), where the output is captured whole.
  it.each(secretUrls)('a URL with %s is refused with a hint naming the flags, and never echoed (rollout and validate)', async (_what, secretUrl, reason) => {
    const port = '8000';
    const runs = await Promise.all([['rollout', '-n', '1', '-s', '1'], ['validate']].map((command) => cli(...command, '--url', secretUrl(port))));
    for (const { code, out, err } of runs) {
      expect(code).toBe(1);
      expect(out + err).not.toContain('hunter2');
      const errors = err.split('\n').filter((line) => line.startsWith('openenv-rx:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^openenv-rx: ERR_INVALID_URL: Invalid server URL "http:\/\/(\*\*\*@)?127\.0\.0\.1:\d+\/(\?\*\*\*)?": /);
      expect(errors[0]).toMatch(reason);
      expect(errors[0]).toMatch(/pass --token <token> \(or \$OPENENV_TOKEN\) or -H "name: value" instead/);
      expect(err).not.toMatch(/\{ headers/);
    }
  }, 60_000);

  it('a URL without scheme is refused with the URL to use', async () => {
    const { code, err } = await cli('rollout', '--url', '127.0.0.1:8000', '-n', '1');
    expect(code).toBe(1);
    expect(err).toMatch(/^openenv-rx: ERR_INVALID_URL: Invalid server URL "127\.0\.0\.1:8000": the scheme is missing: use http:\/\/127\.0\.0\.1:8000$/m);
  }, 60_000);
});
