import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FailureRecord } from '../../src/fleet/collect-store.js';
import type { EpisodeRecord } from '../../src/fleet/collect-record.js';
import { readRun } from '../../src/report/read-run.js';
import { sparkline } from '../../src/report/sparkline.js';
import { writeReport } from '../../src/report/write-report.js';
import type { RunSummary } from '../../src/report/run-summary.js';
import { cli } from '../cli/cli-support.js';
import { readFailures, readResults } from '../fleet/support/collect-files.js';
import { HELD_SEED, REPLY_TIMEOUT_S, useReportRuns } from './support/report-runs.js';

/**
 * `readRun` on files written by real `collect` and `rollout` runs (the CLI against an in-process
 * `serve` on loopback, one episode failed by a held step): every number of the `RunSummary` is
 * checked against what the test computes from the same files itself.
 */
const runs = useReportRuns();

/** As the summaries print a number: 6 significant digits. */
const p6 = (x: number): number => Number(x.toPrecision(6));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const lines = (path: string): Array<Record<string, unknown>> =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

interface EpisodeRow {
  kind: 'episode';
  sessionIndex: number;
  episodeIndex: number;
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
  failed?: boolean;
}
interface StepRow {
  kind: 'reset' | 'step';
  sessionIndex: number;
  episodeIndex: number;
  reward: number | null;
  done: boolean;
  error: unknown;
}

/** The length histogram's counts as a map length -> episodes (bins of 1). */
const histogram = (run: RunSummary): Map<number, number> => {
  expect(run.lengths.width).toBe(1);
  return new Map(run.lengths.start.map((start, i) => [start, run.lengths.count[i]!] as const).filter(([, n]) => n > 0));
};
const countBy = (xs: number[]): Map<number, number> => {
  const m = new Map<number, number>();
  for (const x of [...xs].sort((a, b) => a - b)) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

describe('readRun on a collect directory', () => {
  let run: RunSummary;
  let records: EpisodeRecord[];
  let failures: FailureRecord[];
  beforeAll(async () => {
    run = await readRun(runs().collect);
    records = readResults(runs().collect);
    failures = readFailures(runs().collect);
  });

  it('counts episodes, outcomes and steps as the records and failures.jsonl hold them', () => {
    expect(records).toHaveLength(23);
    expect(failures.map((f) => [f.seed, f.error.code])).toEqual([[HELD_SEED, 'ERR_TIMEOUT']]);
    expect(run).toMatchObject({
      label: 'grid-collect',
      kind: 'collect',
      episodes: 23,
      failed: 1,
      terminated: records.filter((r) => r.done).length,
      truncated: records.filter((r) => r.metrics.truncated).length,
      succeeded: records.filter((r) => r.done && (r.metrics.final_reward ?? 0) > 0).length,
      steps: records.reduce((n, r) => n + r.metrics.steps, 0) + failures[0]!.steps,
      minReturn: Math.min(...records.map((r) => r.metrics.return)),
      maxReturn: Math.max(...records.map((r) => r.metrics.return)),
    });
    expect(run.terminated + run.truncated).toBe(23);
    expect(run.terminated).toBeGreaterThan(0);
    expect(run.meanReturn).toBeCloseTo(mean(records.map((r) => r.metrics.return)), 10);
    expect(run.meanLength).toBeCloseTo(mean(records.map((r) => r.metrics.steps)), 10);
    expect(run.notes).toEqual([expect.stringMatching(/^collect: .*policy random, seed 0, status completed$/)]);
  });

  it('plots every episode by index (no downsampling at this size), with the trailing moving average', async () => {
    const byIndex = [...records].sort((a, b) => a.extra.episode_index - b.extra.episode_index);
    expect(run.returns).toMatchObject({ total: 23, shown: 23, bucket: 1, window: 3 });
    expect(run.returns.index).toEqual(byIndex.map((r) => r.extra.episode_index));
    expect(run.returns.value).toEqual(byIndex.map((r) => r.metrics.return));
    const windowed = await readRun(runs().collect, { window: 4 });
    byIndex.forEach((_, k) => {
      expect(windowed.returns.movingAverage[k]).toBeCloseTo(mean(byIndex.slice(Math.max(0, k - 3), k + 1).map((r) => r.metrics.return)), 10);
    });
  });

  it('histograms episode lengths', () => {
    expect(histogram(run)).toEqual(countBy(records.map((r) => r.metrics.steps)));
  });

  it('groups by server: the step latencies of every record, in order p50 <= p95 <= p99 <= max', () => {
    expect(run.groups.map((g) => g.name)).toEqual([runs().url]);
    const [server] = run.groups;
    expect(server).toMatchObject({ episodes: 23, failed: 1, steps: run.steps });
    const latencies = records.flatMap((r) => r.extra.steps.map((s) => s.latency_ms));
    const l = server!.stepLatency!;
    expect(l.count).toBe(latencies.length);
    // HdrHistogram at 3 significant digits: within 0.1%.
    expect(Math.abs(l.max - Math.max(...latencies)) / Math.max(...latencies)).toBeLessThan(0.002);
    expect(l.p50).toBeLessThanOrEqual(l.p95);
    expect(l.p95).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
    expect(server!.stepsPerSecond).toBeGreaterThan(0);
  });

  it('places the failure on the timeline and accounts every episode in the throughput buckets', () => {
    const failure = failures[0]!;
    const start = Math.min(...records.map((r) => Date.parse(r.extra.started_at)));
    expect(run.failures).toEqual({
      total: 1,
      byCode: { ERR_TIMEOUT: 1 },
      shown: [{ atSeconds: (Date.parse(failure.at) - start) / 1000, episodeId: failure.episode_id, code: 'ERR_TIMEOUT', message: failure.error.message, group: runs().url }],
    });
    // The held step waited out the reply timeout: the run lasted longer than that.
    expect(run.durationMs).toBeGreaterThan(REPLY_TIMEOUT_S * 1000);
    const counted = run.throughput.episodesPerSecond.reduce((n, eps) => n + eps * run.throughput.bucketSeconds, 0);
    expect(counted).toBeCloseTo(23, 1);
  });
});

describe('readRun on a rollout --out file', () => {
  let run: RunSummary;
  let episodes: EpisodeRow[];
  let steps: StepRow[];
  beforeAll(async () => {
    run = await readRun(runs().rollout);
    const all = lines(runs().rollout);
    episodes = all.filter((l) => l['kind'] === 'episode') as unknown as EpisodeRow[];
    steps = all.filter((l) => l['kind'] !== 'episode') as unknown as StepRow[];
  });

  it('counts the episode rows, groups them by session and times the steps of each session', () => {
    expect(episodes).toHaveLength(12);
    expect(run).toMatchObject({
      label: 'grid-rollout',
      kind: 'rollout',
      episodes: 12,
      failed: 0,
      terminated: episodes.filter((e) => e.terminated).length,
      truncated: episodes.filter((e) => e.truncated).length,
      steps: episodes.reduce((n, e) => n + e.length, 0),
    });
    expect(run.meanReturn).toBeCloseTo(mean(episodes.map((e) => e.return)), 10);
    expect(run.returns.index).toEqual(episodes.map((e) => e.episodeIndex).sort((a, b) => a - b));
    expect(histogram(run)).toEqual(countBy(episodes.map((e) => e.length)));
    expect(run.groups.map((g) => [g.name, g.episodes, g.stepLatency?.count])).toEqual(
      [0, 1].map((s) => [`session ${s}`, episodes.filter((e) => e.sessionIndex === s).length, steps.filter((l) => l.sessionIndex === s && l.kind === 'step').length]),
    );
    // Success: done with a last reward above 0 (grid_world's goal gives 1).
    const lastRewards = new Map(steps.map((l) => [l.episodeIndex, l.reward] as const));
    expect(run.succeeded).toBe(episodes.filter((e) => e.terminated && (lastRewards.get(e.episodeIndex) ?? 0) > 0).length);
    expect(run.durationMs).toBeGreaterThan(0);
  });

  it('reads a file of step lines only (a library recordTrajectory) to the same episodes', async () => {
    const stepsOnly = join(runs().dir, 'steps-only.jsonl');
    writeFileSync(stepsOnly, steps.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const derived = await readRun(stepsOnly);
    expect(derived).toMatchObject({ episodes: 12, terminated: run.terminated, truncated: run.truncated, succeeded: run.succeeded, steps: run.steps });
    expect(derived.returns.value).toHaveLength(12);
    derived.returns.value.forEach((value, k) => expect(value).toBeCloseTo(run.returns.value[k]!, 10));
    expect(derived.groups.map((g) => g.stepLatency)).toEqual(run.groups.map((g) => g.stepLatency));
  });
});

describe('readRun on a large run: downsampled for the page, exactly', () => {
  it('2,500 episodes at --max-points 100: means of 25 consecutive episodes; the moving average over every episode', async () => {
    const dir = join(runs().dir, 'large');
    mkdirSync(dir);
    const n = 2500;
    const ret = (i: number) => (i % 7) - 3 + i / 1000;
    const record = (i: number) => ({ episode_id: `s0-e${i}`, reward: ret(i), done: i % 3 === 0, metrics: { steps: 1 + (i % 50), return: ret(i), final_reward: 1, truncated: i % 3 !== 0 }, extra: { episode_index: i } });
    // Written out of order, as parallel sessions finish: the reader sorts by episode index.
    const order = Array.from({ length: n }, (_, i) => (i * 7919) % n);
    writeFileSync(join(dir, 'results.jsonl'), order.map((i) => `${JSON.stringify(record(i))}\n`).join(''));
    const run = await readRun(dir, { maxPoints: 100, window: 50 });
    expect(run.returns).toMatchObject({ total: n, shown: 100, bucket: 25, window: 50 });
    for (const b of [0, 37, 99]) {
      const members = Array.from({ length: 25 }, (_, k) => b * 25 + k);
      expect(run.returns.index[b]).toBeCloseTo(mean(members), 6);
      expect(run.returns.value[b]).toBeCloseTo(mean(members.map(ret)), 10);
      const last = b * 25 + 24;
      expect(run.returns.movingAverage[b]).toBeCloseTo(mean(Array.from({ length: Math.min(50, last + 1) }, (_, k) => ret(last - k))), 10);
      expect(run.returns.successRate[b]).toBeCloseTo(Array.from({ length: 50 }, (_, k) => last - k).filter((i) => i >= 0 && i % 3 === 0).length / Math.min(50, last + 1), 10);
    }
    expect(run.lengths.count.reduce((a, b) => a + b, 0)).toBe(n);
    expect(run.lengths.count).toEqual(Array(50).fill(50));
    expect(run.notes).toEqual([]);
  });
});

describe('bad input: a typed error naming the file and line', () => {
  const dir = () => runs().dir;
  const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { code: string; message: string; context: Record<string, unknown> });

  it('a missing path, and a directory that is not a collect output', async () => {
    expect(await rejection(readRun(join(dir(), 'nope')))).toMatchObject({ code: 'ERR_REPORT_INPUT', context: { path: join(dir(), 'nope') }, message: expect.stringContaining('Cannot read') });
    const empty = join(dir(), 'empty');
    mkdirSync(empty);
    expect(await rejection(readRun(empty))).toMatchObject({ code: 'ERR_REPORT_INPUT', message: expect.stringContaining('is not a collect directory') });
  });

  it('a line in the middle that is not JSON, a record without its fields, a file of something else', async () => {
    const copy = join(dir(), 'broken');
    mkdirSync(copy);
    const text = readFileSync(join(runs().collect, 'results.jsonl'), 'utf8').split('\n');
    writeFileSync(join(copy, 'results.jsonl'), [text[0], '{"episode_id": "x", oops', text[1], ''].join('\n'));
    expect(await rejection(readRun(copy))).toMatchObject({ code: 'ERR_REPORT_INPUT', context: { path: join(copy, 'results.jsonl'), line: 2 }, message: expect.stringContaining('results.jsonl:2 is not JSON') });
    writeFileSync(join(copy, 'results.jsonl'), `${JSON.stringify({ reward: 1 })}\n`);
    expect(await rejection(readRun(copy))).toMatchObject({ code: 'ERR_REPORT_INPUT', context: { line: 1 }, message: expect.stringContaining('is not an EpisodeRecord at episode_id') });
    const other = join(dir(), 'other.jsonl');
    writeFileSync(other, '{"hello": "world"}\n');
    expect(await rejection(readRun(other))).toMatchObject({ code: 'ERR_REPORT_INPUT', context: { path: other, line: 1 } });
  });

  it('a torn last line (a killed writer) is skipped and noted, not refused', async () => {
    const torn = join(dir(), 'torn.jsonl');
    const text = readFileSync(runs().rollout, 'utf8');
    writeFileSync(torn, `${text}{"sessionIndex":0,"episodeId":"cut-he`);
    const run = await readRun(torn);
    expect(run.episodes).toBe(12);
    expect(run.notes).toEqual([expect.stringMatching(/^skipped a torn last line \(line \d+\)$/)]);
  });

  it('a page that cannot be written: ERR_REPORT_OUTPUT', async () => {
    expect(await rejection(writeReport([runs().rollout], { out: '/proc/nope/report.html' }))).toMatchObject({ code: 'ERR_REPORT_OUTPUT', context: { path: '/proc/nope/report.html' } });
  });
});

describe('openenv-rx report (in-process)', () => {
  it('writes one page for both runs and prints a line per run with its sparkline', async () => {
    const out = join(runs().dir, 'both.html');
    const { code, out: stdout, err } = await cli('report', runs().collect, runs().rollout, '--label', 'collected', '-o', out);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(stdout).toMatch(/^ {2}collected \(collect\): 23 episodes, 1 failed, mean return -?[\d.]+ {2}[▁▂▃▄▅▆▇█]{23}$/m);
    expect(stdout).toMatch(/^ {2}grid-rollout \(rollout\): 12 episodes, 0 failed, mean return -?[\d.]+ {2}[▁▂▃▄▅▆▇█]{12}$/m);
    expect(stdout).toMatch(new RegExp(`^report: 2 run\\(s\\) -> ${out} \\(\\d+ KB\\)$`, 'm'));
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('"label":"collected"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing fetched at view time
  });

  it('a missing input: exit 1, one line with ERR_REPORT_INPUT, no page', async () => {
    const out = join(runs().dir, 'never.html');
    const { code, err } = await cli('report', join(runs().dir, 'missing'), '-o', out);
    expect(code).toBe(1);
    expect(err).toMatch(/^openenv-rx: ERR_REPORT_INPUT: Cannot read .*missing/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('the terminal summaries of the runs that wrote these files', () => {
  it('rollout ends with a sparkline of the returns in episode order', () => {
    const rows = (lines(runs().rollout).filter((l) => l['kind'] === 'episode') as unknown as EpisodeRow[]).sort((a, b) => a.episodeIndex - b.episodeIndex);
    const returns = rows.map((r) => r.return);
    expect(runs().rolloutOutput).toContain(`\nreturns  ${sparkline(returns)}  (12 episodes, ${p6(Math.min(...returns))} .. ${p6(Math.max(...returns))})\n`);
  });

  it('collect has a sparkline of the recorded returns in the order they ended (the results file order)', () => {
    const returns = readResults(runs().collect).map((r) => r.metrics.return);
    expect(sparkline(returns)).toMatch(/^[▁▂▃▄▅▆▇█]{23}$/);
    expect(runs().collectOutput).toContain(`\n  returns  ${sparkline(returns)}  (23 episodes, in the order they ended, ${p6(Math.min(...returns))} .. ${p6(Math.max(...returns))})\n`);
  });
});
