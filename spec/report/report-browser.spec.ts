import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { RunSummary } from '../../src/report/run-summary.js';
import { cli } from '../cli/cli-support.js';
import { readFailures, readResults } from '../fleet/support/collect-files.js';
import { repoPath } from '../fixtures/test-image.js';
import { HELD_SEED, REPLY_TIMEOUT_S, useReportRuns } from './support/report-runs.js';

/**
 * The report page in a real browser (Debian's chromium, headless, driven by playwright-core) with
 * every network request refused: the charts are uPlot instances holding the runs' numbers, their
 * canvases have the runs' points drawn where the numbers put them, the tables carry the means,
 * and a screenshot is kept under artifacts/ (named in the output). Under CI=true a missing
 * chromium fails the file; elsewhere it is skipped with a message.
 */
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = repoPath('artifacts');

function describeWithChromium(): jest.Describe {
  if (existsSync(CHROMIUM) || process.env['CI']) return describe;
  console.warn(`${CHROMIUM} missing: skipping the report browser test (apt-get install -y chromium; with CI=true it fails instead)`);
  return describe.skip;
}

interface PageState {
  errors: string[];
  requests: string[];
}

/** The few DOM shapes the page-side functions touch (the specs compile without the DOM lib). */
interface PageNode {
  querySelector(selector: string): { textContent: string | null } | null;
}
interface Canvas2d {
  canvas: { width: number; height: number };
  getImageData(x: number, y: number, width: number, height: number): { data: ArrayLike<number> };
}

/** What the page exposes as `window.report`, read in the page. */
interface ChartView {
  title: string;
  series: string[];
  /** Per series (index 1..): the [x, y] pairs with a value. */
  points: Array<Array<[number, number]>>;
}

describeWithChromium()('the report page in headless Chromium, offline', () => {
  const runs = useReportRuns();
  let browser: Browser;
  let context: BrowserContext;
  const state: PageState = { errors: [], requests: [] };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run installs it`);
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // The page must need nothing but itself: any other request is recorded and refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://')) return route.continue();
      state.requests.push(url);
      return route.abort();
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  async function open(file: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => state.errors.push(String(error)));
    page.on('console', (message) => message.type() === 'error' && state.errors.push(message.text()));
    await page.goto(pathToFileURL(file).href, { timeout: 20_000 });
    await page.waitForSelector('html[data-rendered="yes"]', { timeout: 20_000 });
    return page;
  }

  const chart = (page: Page, name: string): Promise<ChartView | null> =>
    page.evaluate((n) => {
      const u = (globalThis as unknown as { report: { charts: Record<string, { data: Array<Array<number | null | undefined>>; series: Array<{ label: string }>; root: PageNode } | null> } }).report.charts[n];
      if (!u) return null;
      const xs = u.data[0]!;
      return {
        title: u.root.querySelector('.u-title')?.textContent ?? '',
        series: u.series.slice(1).map((s) => s.label),
        points: u.data.slice(1).map((ys) => xs.flatMap((x, i) => (ys[i] === null || ys[i] === undefined ? [] : [[x, ys[i]] as [number, number]]))),
      };
    }, name);

  /** Whether the chart's canvas has a saturated (not white, grey or black) pixel within 3 px of each data point of `series`. */
  const drawnAt = (page: Page, name: string, series: number): Promise<boolean[]> =>
    page.evaluate(
      ([n, s]) => {
        type U = { data: Array<Array<number | null | undefined>>; ctx: Canvas2d; valToPos(v: number, scale: string, canvas: boolean): number; series: Array<{ scale: string }> };
        const u = (globalThis as unknown as { report: { charts: Record<string, U> } }).report.charts[n as string]!;
        const { width, height } = u.ctx.canvas;
        const pixels = u.ctx.getImageData(0, 0, width, height).data;
        const saturated = (x: number, y: number) => {
          for (let dx = -3; dx <= 3; dx++)
            for (let dy = -3; dy <= 3; dy++) {
              const px = Math.round(x) + dx;
              const py = Math.round(y) + dy;
              if (px < 0 || py < 0 || px >= width || py >= height) continue;
              const i = (py * width + px) * 4;
              const [r, g, b] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!];
              if (Math.max(r, g, b) - Math.min(r, g, b) > 30) return true;
            }
          return false;
        };
        const xs = u.data[0]!;
        const ys = u.data[s as number]!;
        return xs.flatMap((x, i) => {
          const y = ys[i];
          return y === null || y === undefined ? [] : [saturated(u.valToPos(x as number, 'x', true), u.valToPos(y, u.series[s as number]!.scale, true))];
        });
      },
      [name, series] as const,
    );

  it('draws both runs with their numbers: returns by episode, lengths, success, throughput, failures; tables with the means; no request leaves the page', async () => {
    const html = join(ARTIFACTS, 'report-browser.html');
    const png = join(ARTIFACTS, 'report-browser.png');
    const { code, err } = await cli('report', runs().collect, runs().rollout, '-o', html, '--title', 'grid_world: collect vs rollout');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const page = await open(html);
    try {
      await page.screenshot({ path: png, fullPage: true });
      console.log(`report browser test: screenshot ${png} (page ${html})`);
      expect(statSync(png).size).toBeGreaterThan(10_000);

      const records = readResults(runs().collect).sort((a, b) => a.extra.episode_index - b.extra.episode_index);
      const data = (await page.evaluate('window.report.data')) as { runs: RunSummary[] };
      const [collected, rolled] = data.runs;

      // Return per episode: two series per run (dots, moving average), the dots exactly the records' returns by index.
      const returns = (await chart(page, 'returns'))!;
      expect(returns.title).toBe('Return per episode');
      expect(returns.series).toEqual(['grid-collect return', 'grid-collect moving average (3)', 'grid-rollout return', 'grid-rollout moving average (2)']);
      expect(returns.points[0]).toEqual(records.map((r) => [r.extra.episode_index, r.metrics.return]));
      expect(returns.points[2]).toHaveLength(12);
      const meanOf = (pairs: Array<[number, number]>) => pairs.reduce((s, [, y]) => s + y, 0) / pairs.length;
      expect(meanOf(returns.points[0]!)).toBeCloseTo(records.reduce((s, r) => s + r.metrics.return, 0) / records.length, 10);
      expect(meanOf(returns.points[2]!)).toBeCloseTo(rolled!.meanReturn!, 10);
      // Every dot of both runs is painted where its numbers place it.
      expect(await drawnAt(page, 'returns', 1)).toEqual(records.map(() => true));
      expect(await drawnAt(page, 'returns', 3)).toEqual(Array(12).fill(true));

      // The summary table holds the same mean, exactly (data-value) and as printed (4 digits).
      const means = await page.$$eval('#runs td[data-field="meanReturn"]', (cells) => cells.map((c) => [c.getAttribute('data-value'), c.textContent]));
      expect(means.map(([value]) => Number(value))).toEqual([collected!.meanReturn, rolled!.meanReturn]);
      expect(means.map(([, text]) => Number(text))).toEqual([Number(collected!.meanReturn!.toPrecision(4)), Number(rolled!.meanReturn!.toPrecision(4))]);
      expect(await page.$$eval('#runs td[data-field="failed"]', (cells) => cells.map((c) => c.textContent))).toEqual(['1', '0']);

      // Length histogram: each run's bars count its episodes; success rate within [0, 1].
      const lengths = (await chart(page, 'lengths'))!;
      expect(lengths.points.map((s) => s.reduce((n, [, y]) => n + y, 0))).toEqual([23, 12]);
      // Every bar is on the canvas, the longest episodes' (the last bin, at the axis' end) too.
      for (const series of [1, 2]) expect(await drawnAt(page, 'lengths', series)).toEqual(lengths.points[series - 1]!.map(() => true));
      const success = (await chart(page, 'success'))!;
      expect(success.points.map((s) => s.length)).toEqual([23, 12]);
      for (const [, rate] of success.points.flat()) expect(rate).toBeGreaterThanOrEqual(0);
      expect(success.points[0]!.at(-1)![1]).toBeCloseTo(collected!.returns.successRate.at(-1)!, 10);

      // Throughput buckets account for every episode; the failure sits on the timeline at its time.
      const throughput = (await chart(page, 'throughput'))!;
      expect(throughput.points.map((s) => s.reduce((n, [, eps]) => n + eps, 0))).toEqual([
        collected!.throughput.episodesPerSecond.reduce((a, b) => a + b, 0),
        rolled!.throughput.episodesPerSecond.reduce((a, b) => a + b, 0),
      ]);
      const failures = (await chart(page, 'failures'))!;
      const failure = readFailures(runs().collect)[0]!;
      expect(failures.series).toEqual(['grid-collect']);
      expect(failures.points).toEqual([[[collected!.failures.shown[0]!.atSeconds, 1]]]);
      expect(await drawnAt(page, 'failures', 1)).toEqual([true]);
      expect(await page.$$eval('#failure-list td[data-field="code"]', (cells) => cells.map((c) => c.textContent))).toEqual([failure.error.code]);

      // Latency per server (collect) and per session (rollout).
      expect(await page.$$eval('#groups td[data-field="group"]', (cells) => cells.map((c) => c.textContent))).toEqual([runs().url, 'session 0', 'session 1']);

      expect(state.errors).toEqual([]);
      expect(state.requests).toEqual([]);
      expect(readFileSync(html, 'utf8')).toContain('uPlot');
    } finally {
      await page.close();
    }
  }, 60_000);

  it('a downsampled run says so and plots bucket means', async () => {
    const html = join(ARTIFACTS, 'report-browser-downsampled.html');
    const { code } = await cli('report', runs().collect, '--max-points', '10', '-o', html);
    expect(code).toBe(0);
    const page = await open(html);
    try {
      const records = readResults(runs().collect).sort((a, b) => a.extra.episode_index - b.extra.episode_index);
      const returns = (await chart(page, 'returns'))!;
      // 23 episodes in buckets of 3: 8 points, the last covering 2 episodes.
      const buckets = Array.from({ length: 8 }, (_, b) => records.slice(b * 3, b * 3 + 3));
      expect(returns.points[0]!.map(([, y]) => y)).toHaveLength(8);
      returns.points[0]!.forEach(([x, y], b) => {
        expect(x).toBeCloseTo(buckets[b]!.reduce((s, r) => s + r.extra.episode_index, 0) / buckets[b]!.length, 3);
        expect(y).toBeCloseTo(buckets[b]!.reduce((s, r) => s + r.metrics.return, 0) / buckets[b]!.length, 10);
      });
      expect(await page.textContent('#returns p.note')).toBe('grid-collect: 8 points shown, each the mean of 3 consecutive episodes, for 23 episodes (downsampled).');
      expect(state.errors).toEqual([]);
      expect(state.requests).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('text from a run is shown as text: a label that closes the script and injects markup does neither', async () => {
    const hostile = '</script><b id="injected">x</b><!--';
    const html = join(ARTIFACTS, 'report-browser-hostile.html');
    const { code } = await cli('report', runs().rollout, '--label', hostile, '-o', html);
    expect(code).toBe(0);
    const page = await open(html);
    try {
      expect(await page.$('#injected')).toBeNull();
      expect(await page.textContent('#runs td[data-field="label"]')).toBe(hostile);
      expect((await chart(page, 'returns'))!.series[0]).toBe(`${hostile} return`);
      expect(state.errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('a run with no finished episode (its only episode failed): notes instead of empty charts, the failure on its timeline', async () => {
    const dir = join(runs().dir, 'only-failed');
    const collected = await cli('collect', '--url', runs().url, '-o', dir, '-n', '1', '-s', '1', '--sessions-per-server', '3', '--max-steps', '30', '--seed', String(HELD_SEED), '--reply-timeout', String(REPLY_TIMEOUT_S));
    expect(collected.out).toMatch(/recorded 0 now \+ 0 before, failed 1 \(ERR_TIMEOUT 1\)/);
    const html = join(ARTIFACTS, 'report-browser-only-failed.html');
    expect((await cli('report', dir, '-o', html)).code).toBe(0);
    const page = await open(html);
    try {
      expect(await page.evaluate('[window.report.charts.returns, window.report.charts.success, window.report.charts.lengths, window.report.charts.throughput]')).toEqual([null, null, null, null]);
      expect(await page.textContent('#returns p.note')).toBe('No episode finished.');
      expect((await chart(page, 'failures'))!.points).toEqual([[[0, 1]]]);
      expect(await drawnAt(page, 'failures', 1)).toEqual([true]);
      expect(state.errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
