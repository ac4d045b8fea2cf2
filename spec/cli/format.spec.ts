import { renderTable, formatNumber } from '../../src/cli/format/table.js';
import { ProgressBar } from '../../src/cli/format/progress-bar.js';
import { buildReport, renderReport } from '../../src/cli/rollout/rollout-report.js';
import type { EpisodeStats } from '../../src/operators/episode-stats.js';
import { EpisodeFailedError } from '../../src/errors/fleet-errors.js';
import { Capture as Sink } from './cli-support.js';

describe('renderTable', () => {
  it('aligns text left and numbers right under a rule', () => {
    expect(renderTable(['env', 'mean'], [['echo', 1.5], ['grid_world', -0.25]])).toBe(
      ['env          mean', '----------  -----', 'echo          1.5', 'grid_world  -0.25'].join('\n'),
    );
  });
  it('formats numbers with at most 3 decimals', () => {
    expect(formatNumber(1 / 3)).toBe('0.333');
    expect(formatNumber(2)).toBe('2');
    expect(formatNumber(NaN)).toBe('NaN');
  });
});

describe('ProgressBar', () => {
  it('prints one line per decile when not a TTY', () => {
    const sink = new Sink(false);
    const bar = new ProgressBar(sink);
    for (let done = 0; done <= 20; done++) bar.update({ done, total: 20, steps: done * 10, elapsedMs: 1000 });
    const lines = sink.text.trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toContain('20/20 episodes  200 steps  200 steps/s');
  });
  it('redraws in place on a TTY', () => {
    const sink = new Sink(true);
    const bar = new ProgressBar(sink);
    bar.update({ done: 1, total: 2, steps: 5, elapsedMs: 10 }, true);
    bar.update({ done: 2, total: 2, steps: 9, elapsedMs: 20 }, true);
    bar.finish();
    expect(sink.text.startsWith('\r[')).toBe(true);
    expect(sink.text.split('\r')).toHaveLength(3);
    expect(sink.text.endsWith('\n')).toBe(true);
  });
  it('shows refused and lost sessions only once there are some', () => {
    const bar = new ProgressBar(new Sink(false));
    const state = { done: 1, total: 4, steps: 7, elapsedMs: 1000, running: 2, sessions: 2 };
    expect(bar.render(state, 0.25)).not.toMatch(/refused|lost/);
    expect(bar.render({ ...state, refused: 3, lost: 1 }, 0.25)).toContain('2/2 sessions running  3 refused  1 lost  7 steps');
  });
});

describe('rollout report', () => {
  const stats = (episodeIndex: number, extra: Partial<EpisodeStats> = {}): EpisodeStats =>
    ({ episodeIndex, sessionIndex: 0, episodeId: `e${episodeIndex}`, seed: episodeIndex, return: 1, length: 3, done: true, truncated: false, durationMs: 5, ...extra }) as EpisodeStats;
  const input = { target: 't', policy: 'random', episodes: 2, sessions: 1, seed: 0, steps: 3, elapsedMs: 1000, interrupted: false };

  it('prints a failures line naming failed episodes, the sessions lost by code and how many were replaced', () => {
    const failed = stats(1, { done: false, length: 2, error: new EpisodeFailedError(true, new Error('socket closed')) });
    const report = buildReport({ ...input, capacity: { refusals: 0, gaveUp: 0, maxRunning: 1, lost: 1, replaced: 1, lostBy: { ERR_CONNECTION_CLOSED: 1 }, failedReplacements: 0 }, stats: [stats(0), failed] });
    expect(report.overall).toMatchObject({ episodes: 2, failed: 1 });
    expect(report.perEpisode[1]).toMatchObject({ failed: true, error: expect.stringContaining('socket closed') });
    expect(renderReport(report)).toContain('failures: 1 episode(s) failed with their session (never replayed; left out of the return and length columns); 1 session(s) lost (ERR_CONNECTION_CLOSED 1), 1 replaced');
  });
  it('has no failures line on a clean run', () => {
    const report = buildReport({ ...input, capacity: { refusals: 0, gaveUp: 0, maxRunning: 1, lost: 0, replaced: 0, lostBy: {}, failedReplacements: 0 }, stats: [stats(0), stats(1)] });
    expect(renderReport(report)).not.toContain('failures:');
  });
});
