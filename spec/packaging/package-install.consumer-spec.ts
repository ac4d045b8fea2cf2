import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gridWorldEnv } from '../../src/envs/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { root } from '../cli/cli-child.js';
import { dockerfileCopySources } from './dockerfile-copies.js';
import { env, packAndInstall, pinned, run } from './packed-consumer.js';
/** Every file under `dir` (nested node_modules left out), as paths relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .filter((entry) => !relative(dir, entry.parentPath).split(/[\\/]/).includes('node_modules'))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
const readmeExample = () => [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)][0]![1]!;

/**
 * What a library user does: `npm pack`, install the tarball with the peer dependencies into a fresh
 * project outside this repository, compile the README example with a strict TypeScript config
 * (module/moduleResolution nodenext, no skipLibCheck), run it against a served env. (The README's
 * own-env project, with its jest and vitest setups, is `readme-own-env.consumer-spec.ts`:
 * `npm run test:consumer`.)
 */
describe('the packed package, as a strict TypeScript consumer installs it', () => {
  let dir: string;
  let project: string;
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(gridWorldEnv);
    ({ dir, project } = await packAndInstall([pinned('typescript')]));
  }, 600_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships the LICENSE that package.json names, and declares rxjs and zod 4 as peers (openai an optional one)', () => {
    const installed = join(project, 'node_modules', 'openenv-rx');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { license: string; peerDependencies: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>; dependencies: Record<string, string> };
    expect(pkg.license).toBe('BSD-3-Clause');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^BSD 3-Clause License/);
    // openai is an optional peer: only chatPolicy loads it, and the package's types never name it (a strict consumer without it compiles below).
    expect(pkg.peerDependencies).toEqual({ rxjs: expect.stringMatching(/^\^7\./), zod: expect.stringMatching(/^\^4\./), openai: expect.stringMatching(/^\^6\./) });
    expect(pkg.peerDependenciesMeta).toEqual({ openai: { optional: true } });
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

  it('ships every file the README and the shipped docs link to', () => {
    const installed = join(project, 'node_modules', 'openenv-rx');
    const docs = ['README.md', ...filesUnder(installed).filter((file) => /^docs\/.*\.md$/.test(file))];
    const links = docs.flatMap((doc) =>
      [...readFileSync(join(installed, doc), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => ({ doc, link: m[1]! })),
    );
    expect(links.filter(({ doc }) => doc === 'README.md').length).toBeGreaterThanOrEqual(5);
    const broken = links
      .filter(({ link }) => !/^(https?:|mailto:|#)/.test(link))
      .filter(({ doc, link }) => !existsSync(resolve(installed, dirname(doc), link.replace(/#.*$/, ''))));
    expect(broken).toEqual([]);
  });

  it('ships no source map that points at a file it does not ship', () => {
    const installed = join(project, 'node_modules', 'openenv-rx');
    const maps = filesUnder(installed).filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const dangling = maps.flatMap((file) => {
      const map = JSON.parse(readFileSync(join(installed, file), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[]; sourceRoot?: string };
      return map.sources
        .filter((source, i) => typeof map.sourcesContent?.[i] !== 'string' && !existsSync(resolve(installed, dirname(file), map.sourceRoot ?? '', source)))
        .map((source) => `${file} -> ${source}`);
    });
    expect(dangling).toEqual([]);
  });

  it('ships every path docker/Dockerfile COPYs, so the image builds from the installed package', () => {
    const installed = join(project, 'node_modules', 'openenv-rx');
    const sources = dockerfileCopySources(readFileSync(join(installed, 'docker', 'Dockerfile'), 'utf8'));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'dist', 'docker/server-entry.mjs']));
    expect(sources.filter((source) => !existsSync(join(installed, source)))).toEqual([]);
  });

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
