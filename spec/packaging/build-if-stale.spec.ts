import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../cli/cli-child.js';

/**
 * A throwaway package whose `build` script counts its runs and writes dist/cli/main.js, so the
 * real scripts/build-if-stale.mjs (npm's prestart) can be run against it with real mtimes.
 */
function fakePackage(): { dir: string; builds: () => number; prestart: () => { status: number | null; stderr: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-prestart-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
  const build = "const fs=require('fs');fs.mkdirSync('dist/cli',{recursive:true});fs.writeFileSync('dist/cli/main.js','');fs.appendFileSync('builds','x')";
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fake', version: '1.0.0', scripts: { build: `node -e "${build}"` } }));
  return {
    dir,
    builds: () => {
      try {
        return readFileSync(join(dir, 'builds'), 'utf8').length;
      } catch {
        return 0;
      }
    },
    prestart: () => {
      const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-stale.mjs')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, stderr: r.stderr };
    },
  };
}

describe('scripts/build-if-stale.mjs (npm start builds only when needed)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('builds when dist/ is missing, skips when fresh, rebuilds after a source or tsconfig change', () => {
    const pkg = fakePackage();
    dirs.push(pkg.dir);
    const first = pkg.prestart();
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/building \(dist\/ is missing\)/);
    expect(pkg.builds()).toBe(1);

    // Sources older than the build: nothing to do.
    const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000);
    const touch = (path: string, secondsAgo: number) => utimesSync(join(pkg.dir, path), at(secondsAgo), at(secondsAgo));
    for (const path of ['src/a.ts', 'src', 'tsconfig.json']) touch(path, 60);
    touch('dist/cli/main.js', 30);
    expect(pkg.prestart().status).toBe(0);
    expect(pkg.builds()).toBe(1);

    // A source edited after the build: rebuilt once, then fresh again.
    touch('src/a.ts', 10);
    expect(pkg.prestart().stderr).toMatch(/src changed since the last build/);
    expect(pkg.builds()).toBe(2);
    expect(pkg.prestart().status).toBe(0);
    expect(pkg.builds()).toBe(2);

    // A new file in src/ (its folder changes), and a tsconfig edit.
    touch('dist/cli/main.js', 5);
    writeFileSync(join(pkg.dir, 'src', 'b.ts'), 'export const b = 2;\n');
    pkg.prestart();
    expect(pkg.builds()).toBe(3);
    touch('dist/cli/main.js', 5);
    touch('src/b.ts', 60);
    touch('src', 60);
    touch('tsconfig.json', 1);
    pkg.prestart();
    expect(pkg.builds()).toBe(4);
  }, 60_000);

  it('is what npm start runs before the CLI', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['prestart']).toBe('node scripts/build-if-stale.mjs');
    expect(scripts['start']).toMatch(/^node dist\/cli\/main\.js rollout/);
  });
});
