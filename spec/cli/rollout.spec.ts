import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { builtinEnvs } from '../../src/envs/index.js';
import { openSocketCount } from '../fixtures/docker-test-support.js';
import { cli } from './cli-support.js';
import { pollUntil } from '../support/poll.js';

const tmp = mkdtempSync(join(tmpdir(), 'openenv-rx-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('openenv-rx rollout', () => {
  it('runs a built-in env in-process and reports per-session statistics that match the trajectory file', async () => {
    const out = join(tmp, 'grid.jsonl');
    const { code, out: stdout, err } = await cli('rollout', '--env', 'grid_world', '--episodes', '6', '--sessions', '2', '--seed', '5', '--max-steps', '30', '--out', out, '--json');
    expect(code).toBe(0);
    expect(err).toContain('6/6 episodes');
    const report = JSON.parse(stdout) as RolloutReport;
    expect(report.overall.episodes).toBe(6);
    expect(report.perSession.map((s) => s.sessionIndex)).toEqual([0, 1]);
    expect(report.perSession.reduce((n, s) => n + s.episodes, 0)).toBe(6);

    // Recompute from the recorded steps: every episode's return and length.
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { episodeId: string; kind: string; reward: number | null; truncated: boolean; seed: number });
    const episodes = new Map<string, { ret: number; len: number; seed: number }>();
    for (const l of lines) {
      const e = episodes.get(l.episodeId) ?? { ret: 0, len: 0, seed: l.seed };
      if (l.kind === 'step') {
        e.ret += l.reward ?? 0;
        e.len += 1;
      }
      episodes.set(l.episodeId, e);
    }
    expect(episodes.size).toBe(6);
    expect([...episodes.values()].map((e) => e.seed).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10]);
    const totalLen = [...episodes.values()].reduce((n, e) => n + e.len, 0);
    expect(report.steps).toBe(totalLen);
    expect(report.overall.length.mean).toBeCloseTo(totalLen / 6, 6);
    expect(report.overall.return.mean).toBeCloseTo([...episodes.values()].reduce((n, e) => n + e.ret, 0) / 6, 6);
    expect(report.overall.length.max).toBeLessThanOrEqual(30);
  });

  it('is reproducible for a seed', async () => {
    const run = async () => (JSON.parse((await cli('rollout', '--env', 'cartpole', '-n', '4', '-s', '2', '--seed', '9', '--json')).out) as RolloutReport).overall;
    expect(await run()).toEqual(await run());
  });

  it('prints a summary table with one row per session and an "all" row', async () => {
    const { code, out } = await cli('rollout', '--env', 'frozen_lake', '-n', '3', '-s', '3');
    expect(code).toBe(0);
    expect(out).toMatch(/session\s+episodes\s+return mean/);
    expect(out.split('\n').filter((l) => /^(0|1|2|all)\s/.test(l))).toHaveLength(4);
  });

  it('drives a server given by --url over WS, and leaves no socket open', async () => {
    const server: RunningServer = await serve(builtinEnvs['echo']!, { maxSessions: 2 });
    try {
      const before = openSocketCount();
      const { code, out } = await cli('rollout', '--url', server.url, '--env', 'echo', '-n', '2', '-s', '2', '--max-steps', '5', '--json');
      expect(code).toBe(0);
      const report = JSON.parse(out) as RolloutReport;
      expect(report.target).toBe(`echo (${server.url})`); // --env labels a --url target
      expect(report.overall.truncated).toBe(2); // echo never ends
      expect(report.steps).toBe(10);
      // The close handshake finishes after the command returns; bounded wait.
      await pollUntil(() => server.activeSessions() === 0 && openSocketCount() <= before, 'server.activeSessions() === 0 && openSocketCount() <= before', { timeoutMs: 10_000, intervalMs: 50 });
    } finally {
      await server.close();
    }
  });

  it.each([
    [['rollout', '--episodes', '0'], /expected an integer >= 1/],
    [['rollout', '--policy', 'greedy'], /expected "random" or the path of an ES module/],
    [['rollout', '--url', 'http://127.0.0.1:1', '--image', 'x'], /cannot be used with option/],
    [['rollout', '--bogus'], /unknown option '--bogus'/],
  ])('rejects bad arguments %j with a clear message and usage', async (argv, message) => {
    const { code, err } = await cli(...argv);
    expect(code).not.toBe(0);
    expect(err).toMatch(message);
    expect(err).toContain('--help');
  });

  it('rejects a malformed header without echoing its value (often a token)', async () => {
    const { code, err } = await cli('rollout', '-H', 'Authorization Bearer s3cret-token');
    expect(code).toBe(1);
    expect(err).toMatch(/each header must look like "name: value"/);
    expect(err).not.toContain('s3cret-token');
  });

  it('names the valid built-in envs for an unknown one', async () => {
    const { code, err } = await cli('rollout', '--env', 'pong');
    expect(code).toBe(1);
    expect(err).toMatch(/pong/);
    expect(err).toMatch(/grid_world/);
  });

  it('fails with a typed connection error, not a stack, when --url is down', async () => {
    const { code, err } = await cli('rollout', '--url', 'http://127.0.0.1:9', '-n', '1', '-s', '1');
    expect(code).toBe(1);
    expect(err).toMatch(/openenv-rx: ERR_CONNECTION/);
    expect(err).not.toMatch(/\n\s+at /);
  });
});
