import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { root } from '../cli/cli-child.js';

export const run = promisify(execFile);
/** Child processes without jest's NODE_OPTIONS (--experimental-vm-modules). */
export const env = { ...process.env, NODE_OPTIONS: '' };
const versionOf = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
/** `name@version` as this repository has it installed (so the npm cache has it), else `name` as is. */
export const pinned = (name: string) => (existsSync(join(root, 'node_modules', name, 'package.json')) ? `${name}@${versionOf(name)}` : name);

/**
 * What a library user does: `npm pack` this repository (prepack builds dist/ when it is missing or
 * stale), then install the tarball with the peer dependencies and `extra` packages into a fresh
 * project outside the repository. Installs use the npm cache first (--prefer-offline): CI's
 * `npm ci` has filled it with these exact versions. Returns the temp dir and the project in it.
 */
export async function packAndInstall(extra: readonly string[]): Promise<{ dir: string; project: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-pack-'));
  const project = join(dir, 'consumer');
  mkdirSync(project);
  const { stdout } = await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: root, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
  const tarball = join(dir, stdout.trim().split('\n').at(-1)!);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run(
    'npm',
    ['install', tarball, pinned('rxjs'), pinned('zod'), ...extra, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: project, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return { dir, project };
}
