#!/usr/bin/env node
// `npm start`'s prestart: runs `npm run build` only when dist/ is missing or older than its inputs
// (src/, tsconfig.json, tsconfig.build.json), so a rollout does not pay a full tsc build each time.
// Works on the package in the current directory (npm runs scripts there).
//
//   node scripts/build-if-stale.mjs           build when stale
//   node scripts/build-if-stale.mjs --check   exit 1 when stale, 0 when fresh (no build)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
/** tsc rewrites every output on each build, so the CLI entry's mtime is the build's time. */
const builtMarker = join(root, 'dist', 'cli', 'main.js');
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json'];

function newestMtime(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file bumps its folder's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export function staleReason() {
  let built;
  try {
    built = statSync(builtMarker).mtimeMs;
  } catch {
    return 'dist/ is missing';
  }
  const changed = inputs.find((input) => newestMtime(join(root, input)) > built);
  return changed ? `${changed} changed since the last build` : undefined;
}

const reason = staleReason();
if (process.argv.includes('--check')) process.exit(reason ? 1 : 0);
if (reason) {
  process.stderr.write(`openenv-rx: building (${reason})\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
