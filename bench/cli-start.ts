import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchConfig, SectionResult } from './section-result.js';
import { interleave, median, round, type Sample } from './stats.js';

/** `--version` and `--help` may take this many ms longer than `node -e 0` (issue 24). */
const TARGET_MS = 150;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI as compiled for the bench (same sources as dist/cli/main.js). */
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
/** The CLI as installed: what `npx openenv-rx` runs (needs `npm run build`). */
const INSTALLED_CLI = `${ROOT}dist/cli/main.js`;
/** `npx` rows take about a second each: fewer rounds. */
const NPX_ROUNDS_CAP = 5;

const run = promisify(execFile);

/** One fresh process, to completion: wall time from spawn to exit is what the user waits. */
async function spawnOnce(file: string, args: readonly string[], cwd = ROOT): Promise<number> {
  await run(file, [...args], { cwd, timeout: 60_000, env: { ...process.env, NO_UPDATE_NOTIFIER: '1' } });
  return 1;
}

/** A scratch project with openenv-rx installed (linked to this checkout), for the npx rows. */
function consumerProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-bench-npx-'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'bench-npx', version: '1.0.0', private: true, dependencies: { 'openenv-rx': '*' } })}\n`);
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'openenv-rx'));
  symlinkSync('../openenv-rx/dist/cli/main.js', join(dir, 'node_modules', '.bin', 'openenv-rx'));
  return dir;
}

/** Median over rounds of subject − baseline (ms), each round's pair taken back to back. */
const pairedExtraMs = (subject: readonly Sample[], baseline: readonly Sample[]): number => median(subject.map((s, i) => s.ms - baseline[i]!.ms));

/**
 * Section: how long `openenv-rx --version` and `--help` take in a fresh process, beyond what
 * `node -e 0` takes (Node's own start). Every command's implementation loads when it runs, so
 * these load only commander and the command definitions; `rollout --help` shows a command's help
 * costs the same. The `npx` rows compare `npx openenv-rx --version` with `npx node -e 0`: what
 * npm's own start adds is not the CLI's.
 */
export async function cliStart(config: BenchConfig): Promise<SectionResult> {
  const local = await interleave(config.rounds, {
    node: () => spawnOnce(process.execPath, ['-e', '0']),
    version: () => spawnOnce(process.execPath, [CLI, '--version']),
    help: () => spawnOnce(process.execPath, [CLI, '--help']),
    rolloutHelp: () => spawnOnce(process.execPath, [CLI, 'rollout', '--help']),
  });
  const extra = { version: pairedExtraMs(local.version, local.node), help: pairedExtraMs(local.help, local.node) };
  const headline = Math.max(extra.version, extra.help);
  const row = (what: string, samples: readonly Sample[], extraMs: number | null) => ({
    command: what,
    'ms (median)': round(median(samples.map((s) => s.ms))),
    'ms beyond node -e 0': extraMs === null ? null : round(extraMs),
  });
  const rows = [
    row('node -e 0 (baseline)', local.node, null),
    row('openenv-rx --version (headline)', local.version, extra.version),
    row('openenv-rx --help (headline)', local.help, extra.help),
    row('openenv-rx rollout --help', local.rolloutHelp, pairedExtraMs(local.rolloutHelp, local.node)),
  ];
  const notes = [
    `${config.rounds} interleaved rounds of fresh processes after one warm-up each (the OS file cache); wall time from spawn to exit. The headline is the slower of --version and --help, as the median over rounds of its time minus node -e 0's in the same round.`,
    'Before commands loaded lazily, every command module (rxjs, zod, ws, the fleet, the policies) loaded up front: --version took about 0.75 s against 0.18 s for node -e 0 on this machine (about 570 ms beyond it).',
  ];
  if (config.smoke) notes.push('npx rows not measured in a smoke run (a few seconds each).');
  else if (existsSync(INSTALLED_CLI)) {
    const project = consumerProject();
    try {
      const npx = await interleave(Math.min(config.rounds, NPX_ROUNDS_CAP), {
        npxNode: () => spawnOnce('npx', ['--no-install', 'node', '-e', '0'], project),
        npxVersion: () => spawnOnce('npx', ['--no-install', 'openenv-rx', '--version'], project),
      });
      rows.push(row("npx node -e 0 (npm's own start)", npx.npxNode, null), row('npx openenv-rx --version', npx.npxVersion, pairedExtraMs(npx.npxVersion, npx.npxNode)));
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
    notes.push(
      "The npx rows run in a scratch project that depends on openenv-rx (node_modules/openenv-rx links to this checkout, .bin/openenv-rx to dist/cli/main.js), as a user's project would; the last column there is beyond npx node -e 0, npm's own start. (Run inside this repository instead, npx spends seconds more finding the package's own bin.)",
    );
  } else notes.push('npx rows not measured: dist/cli/main.js is missing (run npm run build).');
  return {
    id: 'cli-start',
    title: 'CLI start: --version and --help vs node -e 0',
    status: 'ok',
    baseline: '`node -e 0` in a fresh process; headline: ms beyond it (the slower of --version, --help)',
    ratio: round(headline),
    target: TARGET_MS,
    met: headline <= TARGET_MS,
    rows,
    notes,
  };
}
