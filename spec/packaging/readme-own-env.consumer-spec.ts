import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { env, packAndInstall, pinned, run } from './packed-consumer.js';
import { readmeDevDependencies, readmeProjectFiles } from './readme-project.js';

// Run by `npm run test:consumer` (a step of .ci/run), not by `npm test`: it installs jest, swc and
// vitest into a consumer project, about a minute of npm and CPU on its own.

describe("the README's own-env project, from the packed package", () => {
  let dir: string;
  let project: string;
  beforeAll(async () => {
    // The dev dependencies the section's `npm install -D` line names, and vitest, the alternative it documents.
    const devDependencies = [...new Set(['typescript', ...readmeDevDependencies()])].map(pinned);
    ({ dir, project } = await packAndInstall([...devDependencies, 'vitest@3']));
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("builds and runs, and its marble test passes under jest and vitest with the README's config", async () => {
    // The section's files verbatim, in a project of its own inside the consumer (node_modules found upward).
    const coin = join(project, 'coin');
    const files = readmeProjectFiles();
    expect([...files.keys()].sort()).toEqual(['jest.config.js', 'package.json', 'src/coin.spec.ts', 'src/coin.ts', 'src/main.ts', 'tsconfig.json', 'vitest.config.js']);
    for (const [path, text] of files) {
      mkdirSync(dirname(join(coin, path)), { recursive: true });
      writeFileSync(join(coin, path), path === 'package.json' ? JSON.stringify({ name: 'coin', private: true, ...JSON.parse(text) }) : text);
    }
    const npm = (script: string) =>
      run('npm', ['run', '--silent', script], { cwd: coin, env: { ...env, CI: 'true', NO_COLOR: '1' }, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }).catch(
        (error: { stdout?: string; stderr?: string }) => {
          throw new Error(`npm run ${script} failed:\n${error.stdout ?? ''}\n${error.stderr ?? String(error)}`);
        },
      );
    // The type-check (tsc, strict, no skipLibCheck) and the two test runners side by side.
    const [started, jest, vitest] = await Promise.all([npm('build').then(() => npm('start')), npm('test'), npm('test:vitest')]);
    expect(started.stdout.trim().split('\n')).toEqual(['episode 0: return 3 in 5 steps', 'episode 1: return 5 in 5 steps', 'episode 2: return 2 in 5 steps']);
    const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain(jest.stderr)).toMatch(/Tests:\s+1 passed, 1 total/);
    expect(plain(`${vitest.stdout}${vitest.stderr}`)).toMatch(/Tests\s+1 passed \(1\)/);
  }, 300_000);
});
