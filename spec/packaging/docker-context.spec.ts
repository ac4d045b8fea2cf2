import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { ensureBuiltDist } from '../fixtures/built-dist.js';
import { root } from '../cli/cli-child.js';
import { dockerfileCopySources } from './dockerfile-copies.js';

// A CommonJS module whose types declare an ES default export: require() gives what both agree on.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as typeof import('@balena/dockerignore').default;

/**
 * The files `docker build -f docker/Dockerfile .` sends from a clone, computed with the matcher
 * dockerode itself uses for build contexts (@balena/dockerignore, Docker's own rules). A directory
 * is not entered when it is ignored and no `!` exception could re-include something under it.
 */
function buildContext(): { files: string[]; bytes: number } {
  const rules = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const ignored = dockerignore({ ignorecase: false }).add(rules);
  const exceptions = rules.filter((rule) => rule.startsWith('!')).map((rule) => rule.slice(1).replace(/^\/+/, ''));
  const files: string[] = [];
  let bytes = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(root, path);
      if (entry.isDirectory()) {
        if (!ignored.ignores(rel) || exceptions.some((exception) => exception.startsWith(`${rel}/`))) walk(path);
      } else if (!ignored.ignores(rel)) {
        files.push(rel);
        bytes += lstatSync(path).size;
      }
    }
  };
  walk(root);
  return { files, bytes };
}

describe('the Docker build context of a clone (.dockerignore)', () => {
  beforeAll(async () => {
    await ensureBuiltDist(); // dist/ is what the Dockerfile copies
  }, 180_000);

  it('holds every path docker/Dockerfile COPYs, and nothing of node_modules, .git, dist-all or the sources', () => {
    const { files, bytes } = buildContext();
    const sources = dockerfileCopySources();
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'dist', 'docker/server-entry.mjs']));
    for (const source of sources) {
      expect({ source, inContext: files.some((file) => file === source || file.startsWith(`${source}/`)) }).toEqual({ source, inContext: true });
    }
    expect(files).toContain('dist/server/serve-builtin.js');
    const strays = files.filter((file) => !sources.some((source) => file === source || file.startsWith(`${source}/`)));
    expect(strays).toEqual([]);
    expect(files.filter((file) => /^(node_modules|\.git|dist-all|src|spec)\//.test(file))).toEqual([]);
    // Today's dist/ is ~2 MB (inlined sources in the maps); the whole clone is well over 100 MB.
    expect(bytes).toBeLessThan(8 * 1024 * 1024);
  });
});
