#!/usr/bin/env node
// `npm run build`: compiles src/ into a fresh folder and swaps it in for dist/, so that dist/
// never keeps the output of a source file that was deleted or moved (npm pack would ship it) and
// is never missing while tests or a server image read it (only two renames stand between).
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const next = 'dist.next';
const old = 'dist.old';
rmSync(next, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', next], { stdio: 'inherit' });
if (result.status !== 0) {
  rmSync(next, { recursive: true, force: true });
  process.exit(result.status ?? 1);
}
rmSync(old, { recursive: true, force: true });
if (existsSync('dist')) renameSync('dist', old);
renameSync(next, 'dist');
rmSync(old, { recursive: true, force: true });
