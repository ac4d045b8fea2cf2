import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoPath } from '../fixtures/test-image.js';
import { plannedIds, readMetadata, readResults, useTempDirs } from './support/collect-files.js';

/** docs/fleets.md's collect example, run as written (in a child process) into a temporary directory. */
describe('docs/fleets.md collect example', () => {
  const tempDir = useTempDirs();

  it('collects 1000 echo episodes over 8 sessions and prints the summary', async () => {
    const doc = readFileSync(repoPath('docs/fleets.md'), 'utf8');
    const example = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((block) => block.includes('collect('));
    expect(example).toBeDefined();
    const dir = tempDir();
    const out = join(dir, 'runs', 'echo');
    const file = join(dir, 'collect-example.ts');
    writeFileSync(
      file,
      example!
        .replaceAll("from 'openenv-rx/server'", `from '${repoPath('src/server/index.ts')}'`)
        .replaceAll("from 'openenv-rx'", `from '${repoPath('src/index.ts')}'`)
        .replace("'runs/echo'", JSON.stringify(out)),
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', file], { cwd: repoPath(), timeout: 60_000 });
    expect(stdout).toMatch(/status: 'completed'/);
    expect(readResults(out).map((r) => r.episode_id).sort()).toEqual(plannedIds(0, 1000));
    expect(readMetadata(out).counts).toMatchObject({ planned: 1000, recorded: 1000, missing: 0 });
  }, 90_000);
});
