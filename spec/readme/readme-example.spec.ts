import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { gridWorldEnv } from '../../src/envs/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The README's code blocks, so the documentation cannot drift from the library. */
function readmeBlocks(lang: string): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

describe('README', () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    server = await serve(gridWorldEnv);
    dir = mkdtempSync(join(root, 'spec/readme/.tmp-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the main example runs an episode against a real grid_world server', async () => {
    const example = readmeBlocks('ts')[0]!;
    const source = example
      .replaceAll("from 'openenv-rx'", `from '${join(root, 'src/index.ts')}'`)
      .replace('http://127.0.0.1:8000', server.url);
    const file = join(dir, 'example.ts');
    writeFileSync(file, source);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', file], { cwd: root, timeout: 20_000 });
    // DOWN x4 then RIGHT x4 reaches the goal: 7 × -0.1 + 1.0
    expect(stdout.trim()).toBe('return 0.3 in 8 steps'); // printed rounded, not 0.30000000000000004
  }, 30_000);

  it('the action-Subject loop ends right after done, against a real grid_world server', async () => {
    const [main] = readmeBlocks('ts');
    const loop = readmeBlocks('ts').find((block) => block.includes('new Subject<Move>()'))!;
    // The definitions of the main example, then the loop.
    const definitions = main!.slice(0, main!.indexOf("GridWorld.connect('http://127.0.0.1:8000')"));
    const source = `${definitions}\n${loop}`
      .replaceAll("from 'openenv-rx'", `from '${join(root, 'src/index.ts')}'`)
      .replace('http://127.0.0.1:8000', server.url);
    const file = join(dir, 'steps-loop.ts');
    writeFileSync(file, source);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', file], { cwd: root, timeout: 20_000 });
    const lines = stdout.trim().split('\n');
    // DOWN x4 then RIGHT x4: 8 steps, the last one done at the goal, and the stream completed there.
    expect(lines).toHaveLength(8);
    expect(lines.at(-1)).toBe('4 4 1 true');
  }, 30_000);

  it('the quick start names the two commands', () => {
    const shell = readmeBlocks('sh').join('\n');
    expect(shell).toMatch(/npm start/);
    expect(shell).toMatch(/npm test/);
  });
});
