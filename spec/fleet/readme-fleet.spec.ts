import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gridWorldEnv } from '../../src/envs/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { repoPath } from '../fixtures/test-image.js';

/** The README's vectorEnv example, run as written against a real grid_world server. */
describe('README fleet example', () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    server = await serve(gridWorldEnv, { maxSessions: 4 });
    dir = mkdtempSync(join(repoPath('spec/fleet'), '.tmp-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('steps 4 sub-envs 12 times: the goal at step 8 (terminated), autoreset at 9, then on from the start', async () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((block) => block.includes('vectorEnv('));
    expect(example).toBeDefined();
    const file = join(dir, 'fleet-example.ts');
    writeFileSync(file, example!.replaceAll("from 'openenv-rx'", `from '${repoPath('src/index.ts')}'`).replace('http://127.0.0.1:8000', server.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', file], { cwd: repoPath(), timeout: 20_000 });
    // DOWN, RIGHT alternating: (4,4) after 8 steps, reset on the 9th, then RIGHT, DOWN, RIGHT.
    expect(stdout.trim()).toBe('1,2 1,2 1,2 1,2 false false false false');
    expect(server.activeSessions()).toBe(0);
  }, 30_000);
});
