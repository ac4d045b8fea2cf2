#!/usr/bin/env node
// `npm test`: the type-check (tsc --noEmit over src, spec, marbles, examples and bench) runs beside
// the build and then beside jest, instead of before them. tsc is one CPU-bound process for ~25 s;
// the build keeps one core busy and most of the suite waits on sockets, containers and child
// processes, so on two cores they overlap almost fully. Exits non-zero when any of them fails. A
// pass is reported as soon as tsc ends (so jest's plain summary stays the last line); a failure's
// output is printed after jest's, whole.
//
//   node scripts/run-tests.mjs [jest args...]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tscBin = require.resolve('typescript/bin/tsc');
const jestBin = require.resolve('jest/bin/jest');

/** Runs a node script; resolves its exit code (a signal counts as failure) and captured output. */
function run(script, args, { capture, env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: env ?? process.env,
    });
    let output = '';
    if (capture) {
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
    }
    child.on('close', (code, signal) => resolve({ code: signal ? 1 : (code ?? 1), output }));
  });
}

const started = Date.now();
const typecheck = run(tscBin, ['-p', 'tsconfig.json', '--noEmit'], { capture: true }).then((result) => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.code === 0) process.stdout.write(`type-check: passed (tsc --noEmit, ${seconds} s, beside the build and jest)\n`);
  return result;
});
const build = await run(new URL('./build.mjs', import.meta.url).pathname, []);
if (build.code !== 0) {
  await typecheck.then((tsc) => tsc.code !== 0 && process.stdout.write(`\ntype-check: FAILED (tsc --noEmit)\n${tsc.output}\n`));
  process.exit(build.code);
}
const jestEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() };
const jest = await run(jestBin, process.argv.slice(2), { env: jestEnv });
const tsc = await typecheck;

if (tsc.code !== 0) process.stdout.write(`\ntype-check: FAILED (tsc --noEmit)\n${tsc.output}\n`);
process.exit(jest.code !== 0 ? jest.code : tsc.code);
