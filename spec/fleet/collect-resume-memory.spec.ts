import { execFile } from 'node:child_process';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoPath } from '../fixtures/test-image.js';
import { useTempDirs } from './support/collect-files.js';

const EPISODES = 80_000;
const PADDING = 'x'.repeat(900);

/** A results.jsonl of `n` records of about 1 kB each (episode ids s0-e000000 ...), as collect writes them. */
function writeResults(path: string, n: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let start = 0; start < n; start += 1000) {
      let chunk = '';
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        chunk += `{"episode_id":"s0-e${String(i).padStart(6, '0')}","messages":[{"role":"user","content":"${PADDING}"}],"reward":1.0,"done":true}\n`;
      }
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
}

describe('collect --resume memory (a child process over a large generated results file)', () => {
  const tempDir = useTempDirs();

  it('scans the ids line by line: peak RSS grows by less than a fifth of the file (80 MB)', async () => {
    const out = tempDir();
    const path = join(out, 'results.jsonl');
    writeResults(path, EPISODES);
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(75e6);
    const { stdout } = await promisify(execFile)(process.execPath, ['--max-semi-space-size=1', '--import', './spec/fixtures/register-ts-loader.mjs', 'spec/fleet/support/resume-memory-child.ts'], {
      cwd: repoPath(),
      env: { ...process.env, OUT: out, EPISODES: String(EPISODES), NODE_OPTIONS: '' },
      timeout: 60_000,
    });
    const { growth, started } = JSON.parse(stdout) as { growth: number; started: { alreadyRecorded: number; toRun: number } };
    expect(started).toMatchObject({ alreadyRecorded: EPISODES, toRun: 0 });
    // Reading every line into memory costs at least the file's size; ids streamed cost a chunk and a bitset.
    expect(growth).toBeLessThan(size / 5); // about 8 MB measured, 130 MB when every line was kept
  }, 90_000);
});
