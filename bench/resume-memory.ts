import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onCleanup } from './cleanup.js';
import type { BenchConfig, Row, SectionResult } from './section-result.js';
import { round } from './stats.js';

const ID = 'resume-memory';
const TITLE = 'collect --resume memory over 1M records vs a bare line reader';
const MB = 1024 * 1024;
/**
 * Resume's peak RSS growth may be at most this many times a bare `readline` loop's over the same
 * file (floored at 1 MB): a few MB for a 95 MB file. Keeping the lines, as resume did before
 * issue 20, measured 60-130 MB (ratio > 50).
 */
const TARGET = 8;
const CHILD = fileURLToPath(new URL('./resume-memory-child.js', import.meta.url));

/** `results.jsonl` of `n` small records (ids s0-e000000 ...), written 10,000 lines per write. */
function writeResults(dir: string, n: number): number {
  const path = join(dir, 'results.jsonl');
  const fd = openSync(path, 'w');
  try {
    for (let start = 0; start < n; start += 10_000) {
      let chunk = '';
      for (let i = start; i < Math.min(n, start + 10_000); i++) {
        chunk += `{"episode_id":"s0-e${String(i).padStart(6, '0')}","messages":[],"reward":1.0,"done":true,"extra":{"episode_index":${i}}}\n`;
      }
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

/** One child run: a small young generation, so the peak is what is kept, not garbage awaiting a scavenge. */
async function measure(mode: 'baseline' | 'resume', dir: string, n: number): Promise<{ growthBytes: number; ms: number; lines: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--max-semi-space-size=1', CHILD, mode, dir, String(n)], { timeout: 300_000 });
  return JSON.parse(stdout) as { growthBytes: number; ms: number; lines: number };
}

/**
 * Peak RSS growth of `collect` resuming a directory of 1M recorded episodes (smoke: 2,000),
 * against a bare `readline` loop over the same file, each in a fresh child process, the baseline
 * first. Resume keeps a bitset of recorded indices, never the lines: its growth is a few MB,
 * whatever the number of records (before issue 20 it held every line: more than the file).
 */
export async function resumeMemory(config: BenchConfig): Promise<SectionResult> {
  const records = config.smoke ? 2_000 : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-bench-resume-'));
  const removeDir = onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const fileBytes = writeResults(dir, records);
    const baseline = await measure('baseline', dir, records);
    const resume = await measure('resume', dir, records);
    if (baseline.lines !== records || resume.lines !== records) throw new Error(`read ${baseline.lines} / ${resume.lines} of ${records} records`);
    const row = (what: string, m: { growthBytes: number; ms: number }): Row => ({
      reader: what,
      records,
      'file MB': round(fileBytes / MB),
      'peak RSS growth MB': round(m.growthBytes / MB),
      'growth per 1M records MB': round((m.growthBytes / MB) * (1_000_000 / records)),
      ms: round(m.ms),
    });
    const ratio = round(Math.max(resume.growthBytes, 0) / Math.max(baseline.growthBytes, MB));
    return {
      id: ID,
      title: TITLE,
      status: 'ok',
      baseline: 'a bare readline loop over the same file, same node flags (ratio = resume growth / baseline growth, baseline at least 1 MB)',
      ratio,
      target: TARGET,
      met: ratio <= TARGET,
      rows: [row('readline loop (baseline)', baseline), row('collect resume', resume)],
      notes: [
        'Each reader runs in a fresh child (node --max-semi-space-size=1) and reports its peak RSS (resourceUsage().maxRSS) after minus before reading; hdr-histogram-js is loaded before the measure in both.',
        'collect resume parses every line (a corrupt middle line is refused) and keeps a bitset of the recorded indices.',
      ],
    };
  } finally {
    await removeDir();
  }
}
