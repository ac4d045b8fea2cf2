import { renderSummary, type BenchReport } from '../../bench/report.js';
import type { SectionResult } from '../../bench/section-result.js';

/**
 * `.ci/run` runs `npm run bench -- --smoke` (tiny sizes on a busy CI machine) and prints its
 * summary: a smoke run says it is not timed and gives no verdicts, where a full run says whether
 * each target was met.
 */
const machine = { cpuModel: 'x', cores: 2, memoryGiB: 1, platform: 'linux', node: 'v20', date: '2026-12-07T00:00:00.000Z', loadAverageStart: 1 } as BenchReport['machine'];
const sections: SectionResult[] = [
  { id: 'ws-step', title: 'WS step', status: 'ok', ratio: 1.4, target: 1.1, met: false, rows: [], notes: [], durationMs: 1200 },
  { id: 'cli-start', title: 'CLI start', status: 'ok', ratio: 90, target: 150, met: true, rows: [], notes: [], durationMs: 800 },
  { id: 'swarm-start', title: 'Swarm', status: 'skipped', reason: 'no swarm', rows: [], notes: [] },
];

describe('bench summary', () => {
  it('a smoke run says it is not timed and prints no verdict or ratio', () => {
    const text = renderSummary({ mode: 'smoke', machine, totalMs: 2000, sections });
    expect(text).toMatch(/smoke run.*not timed/i);
    expect(text).not.toMatch(/MISSED|\bmet\b|target|ratio/);
    expect(text).toMatch(/^ws-step\s+ran in 1\.2 s$/m);
    expect(text).toMatch(/^swarm-start\s+skipped: no swarm$/m);
  });

  it('a full run prints each ratio with its verdict', () => {
    const text = renderSummary({ mode: 'full', machine, totalMs: 2000, sections });
    expect(text).toMatch(/^ws-step\s+ratio 1\.4 \(target ≤ 1\.1: MISSED\)$/m);
    expect(text).toMatch(/^cli-start\s+ratio 90 \(target ≤ 150: met\)$/m);
  });
});
