import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { buildReport, renderReport } from '../../src/cli/rollout/rollout-report.js';
import { EpisodeFailedError } from '../../src/errors/fleet-errors.js';
import type { EpisodeStats } from '../../src/operators/episode-stats.js';
import { cli } from './cli-support.js';

const throwing = './spec/cli/fixtures/throw-after-k-policy.mjs';

describe('rollout summary of a run that stopped early', () => {
  const stats = (episodeIndex: number, extra: Partial<EpisodeStats> = {}): EpisodeStats =>
    ({ episodeIndex, sessionIndex: 0, episodeId: `e${episodeIndex}`, seed: episodeIndex, return: 1, length: 3, done: true, truncated: false, durationMs: 5, ...extra }) as EpisodeStats;
  const lost = (episodeIndex: number) => stats(episodeIndex, { done: false, error: new EpisodeFailedError(true, new Error('socket closed')) });
  const input = { target: 't', policy: 'random', episodes: 10, sessions: 2, seed: 0, steps: 9, elapsedMs: 1000, capacity: { refusals: 0, gaveUp: 0, maxRunning: 2, lost: 1, replaced: 0, lostBy: { ERR_CONNECTION: 1 }, failedReplacements: 0 } };

  it('a completed run is not partial and has no stop line', () => {
    const report = buildReport({ ...input, episodes: 2, interrupted: false, stats: [stats(0), stats(1)] });
    expect(report.partial).toBe(false);
    expect(renderReport(report)).not.toMatch(/^(failed|interrupted): /m);
  });

  it('a run stopped by an error: partial, the error kept, "K of N finished before the run failed" with failed and not-run counts', () => {
    const report = buildReport({ ...input, interrupted: false, error: { code: 'ERR_CONNECTION', message: 'refused' }, stats: [stats(0), stats(1), lost(2)] });
    expect(report).toMatchObject({ partial: true, interrupted: false, error: { code: 'ERR_CONNECTION', message: 'refused' }, overall: { episodes: 3, done: 2, failed: 1 } });
    const text = renderReport(report);
    expect(text).toMatch(/^t, policy random \(failed\)$/m);
    expect(text).toContain('failed: 2 of 10 episodes finished before the run failed (ERR_CONNECTION; 1 failed with their session, 7 not run)');
  });

  it('an interrupted run says the same in its own words (the signal), failed episodes not counted as finished', () => {
    const report = buildReport({ ...input, interrupted: true, signal: 'SIGTERM', stats: [stats(0), lost(1)] });
    expect(report).toMatchObject({ partial: true, interrupted: true });
    expect(report.error).toBeUndefined();
    expect(renderReport(report)).toContain('interrupted: 1 of 10 episodes finished before SIGTERM stopped the run (1 failed with their session, 8 not run)');
  });
});

describe('openenv-rx rollout stopped by a policy that throws (in-process)', () => {
  afterEach(() => delete process.env['OPENENV_RX_TEST_THROW_AFTER']);

  it('after 3 finished episodes: the JSON of those 3, partial with the ERR_POLICY error, then the error on stderr; exit 1', async () => {
    process.env['OPENENV_RX_TEST_THROW_AFTER'] = '3';
    const { code, out, err } = await cli('rollout', '--env', 'grid_world', '--policy', throwing, '-n', '8', '-s', '1', '--json');
    expect(code).toBe(1);
    const report = JSON.parse(out) as RolloutReport;
    expect(report).toMatchObject({ episodes: 8, partial: true, interrupted: false, error: { code: 'ERR_POLICY' }, overall: { episodes: 3, done: 3, failed: 0 } });
    expect(report.error!.message).toMatch(/refusing episode 3/);
    expect(report.perEpisode.map((e) => [e.episodeIndex, e.return, e.length])).toEqual([0, 1, 2].map((i) => [i, 0.3, 8]));
    expect(err).toMatch(/^openenv-rx: ERR_POLICY: .*refusing episode 3/m);
  }, 60_000);

  it('before any episode ended: only the error, nothing on stdout; exit 1', async () => {
    process.env['OPENENV_RX_TEST_THROW_AFTER'] = '0';
    const { code, out, err } = await cli('rollout', '--env', 'grid_world', '--policy', throwing, '-n', '4', '-s', '1');
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^openenv-rx: ERR_POLICY: .*refusing episode 0/m);
  }, 60_000);
});
