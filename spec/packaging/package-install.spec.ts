import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gridWorldEnv } from '../../src/envs/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { root } from '../cli/cli-child.js';

const run = promisify(execFile);
/** Child processes without jest's NODE_OPTIONS (--experimental-vm-modules). */
const env = { ...process.env, NODE_OPTIONS: '' };
const versionOf = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const readmeExample = () => [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)][0]![1]!;

/**
 * What a library user does: `npm pack`, install the tarball with the peer dependencies into a fresh
 * project outside this repository, compile the README example with a strict TypeScript config
 * (module/moduleResolution nodenext, no skipLibCheck), run it against a served env. Installs use the
 * npm cache first (--prefer-offline): CI's `npm ci` has filled it with these exact versions.
 */
describe('the packed package, as a strict TypeScript consumer installs it', () => {
  let dir: string;
  let project: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openenv-rx-pack-'));
    project = join(dir, 'consumer');
    mkdirSync(project);
    server = await serve(gridWorldEnv);
    // prepack builds dist/ when it is missing or stale.
    const { stdout } = await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: root, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
    const tarball = join(dir, stdout.trim().split('\n').at(-1)!);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run(
      'npm',
      ['install', tarball, `rxjs@${versionOf('rxjs')}`, `zod@${versionOf('zod')}`, `typescript@${versionOf('typescript')}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: project, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
  }, 600_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships the LICENSE that package.json names, and declares rxjs and zod 4 as peers', () => {
    const installed = join(project, 'node_modules', 'openenv-rx');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { license: string; peerDependencies: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.license).toBe('BSD-3-Clause');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^BSD 3-Clause License/);
    expect(pkg.peerDependencies).toEqual({ rxjs: expect.stringMatching(/^\^7\./), zod: expect.stringMatching(/^\^4\./) });
    expect(pkg.dependencies).not.toHaveProperty('rxjs');
    expect(pkg.dependencies).not.toHaveProperty('zod');
    // One copy of each peer: the consumer's.
    expect(() => readFileSync(join(installed, 'node_modules', 'rxjs', 'package.json'))).toThrow();
    expect(() => readFileSync(join(installed, 'node_modules', 'zod', 'package.json'))).toThrow();
  });

  it('compiles the README example (and every entry point) with strict nodenext and no skipLibCheck, then runs it', async () => {
    writeFileSync(join(project, 'example.ts'), readmeExample().replace('http://127.0.0.1:8000', server.url));
    writeFileSync(
      join(project, 'entries.ts'),
      "import { serve } from 'openenv-rx/server';\nimport { fakeSession } from 'openenv-rx/testing';\nexport { serve, fakeSession };\n",
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: false, outDir: 'out' },
        include: ['example.ts', 'entries.ts'],
      }),
    );
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', '.'], { cwd: project, env, timeout: 240_000 }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc failed:\n${error.stdout ?? String(error)}`);
    });
    const { stdout } = await run(process.execPath, ['out/example.js'], { cwd: project, env, timeout: 60_000 });
    expect(stdout.trim()).toMatch(/^return 0\.3\d* in 8 steps$/);
  }, 300_000);

  it('fails require() with a message saying the package is ESM only', async () => {
    const error = await run(process.execPath, ['-e', "require('openenv-rx')"], { cwd: project, env, timeout: 30_000 }).then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(error?.stderr).toMatch(/openenv-rx is an ES module package and cannot be loaded with require\(\)/);
    expect(error?.stderr).toMatch(/await import\('openenv-rx'\)/);
  }, 60_000);

  it('installs the openenv-rx command', async () => {
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'openenv-rx'), ['--version'], { cwd: project, env, timeout: 30_000 });
    expect(stdout.trim()).toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
  }, 60_000);
});
