import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
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

/** GNU time, to read a child's CPU time (user + system): Node reports no rusage of its children. */
const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME);

/**
 * One fresh process, to completion: wall time from spawn to exit is what the user waits (timed by
 * `interleave`). Its CPU time goes to `cpu` when GNU time is there: a figure a loaded machine
 * disturbs far less than wall time.
 */
async function spawnOnce(file: string, args: readonly string[], cpu?: number[], cwd = ROOT): Promise<number> {
  const options = { cwd, timeout: 60_000, env: { ...process.env, NO_UPDATE_NOTIFIER: '1' } };
  if (!cpu || !hasGnuTime) {
    await run(file, [...args], options);
    return 1;
  }
  const { stderr } = await run(GNU_TIME, ['-f', 'cpu %U %S', file, ...args], options);
  const match = /cpu (\d+\.\d+) (\d+\.\d+)\s*$/.exec(stderr);
  if (match) cpu.push((Number(match[1]) + Number(match[2])) * 1000);
  return 1;
}

/** A scratch project with openenv-rx installed (linked to this checkout), for the npx rows. */
function consumerProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-bench-npx-'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'bench-npx', version: '1.0.0', private: true, dependencies: { 'openenv-rx': '*' } })}\n`);
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'openenv-rx'));
  symlinkSync('../openenv-rx/dist/cli/main.js', join(dir, 'node_modules', '.bin', 'openenv-rx'));
  chmodSync(INSTALLED_CLI, 0o755); // as npm does to a bin when it installs the package (the build leaves it 644)
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
  const cpu = { node: [] as number[], version: [] as number[], help: [] as number[], rolloutHelp: [] as number[] };
  // The warm-up batch's CPU is dropped below with the other unmeasured values.
  const measuredCpu = (name: keyof typeof cpu, measured: boolean) => (measured ? cpu[name] : undefined);
  const local = await interleave(config.rounds, {
    node: (m) => spawnOnce(process.execPath, ['-e', '0'], measuredCpu('node', m)),
    version: (m) => spawnOnce(process.execPath, [CLI, '--version'], measuredCpu('version', m)),
    help: (m) => spawnOnce(process.execPath, [CLI, '--help'], measuredCpu('help', m)),
    rolloutHelp: (m) => spawnOnce(process.execPath, [CLI, 'rollout', '--help'], measuredCpu('rolloutHelp', m)),
  });
  const cpuMs = (name: keyof typeof cpu) => (cpu[name].length ? round(median(cpu[name])) : null);
  const extra = { version: pairedExtraMs(local.version, local.node), help: pairedExtraMs(local.help, local.node) };
  // CPU beyond node -e 0 (paired by round) is what the CLI itself costs; wall time on a shared
  // 2-core machine is that times however many processes wait for a core (node -e 0 alone doubles).
  const cpuExtra = (name: 'version' | 'help') => median(cpu[name].map((ms, i) => ms - cpu.node[i]!));
  const byCpu = cpu.node.length === config.rounds && cpu.version.length === config.rounds && cpu.help.length === config.rounds;
  const headline = byCpu ? Math.max(cpuExtra('version'), cpuExtra('help')) : Math.max(extra.version, extra.help);
  const row = (what: string, samples: readonly Sample[], extraMs: number | null, cpuMedian: number | null = null) => ({
    command: what,
    'ms (median)': round(median(samples.map((s) => s.ms))),
    'ms beyond node -e 0': extraMs === null ? null : round(extraMs),
    'CPU ms (median)': cpuMedian,
  });
  const rows = [
    row('node -e 0 (baseline)', local.node, null, cpuMs('node')),
    row('openenv-rx --version (headline)', local.version, extra.version, cpuMs('version')),
    row('openenv-rx --help (headline)', local.help, extra.help, cpuMs('help')),
    row('openenv-rx rollout --help', local.rolloutHelp, pairedExtraMs(local.rolloutHelp, local.node), cpuMs('rolloutHelp')),
  ];
  const notes = [
    `${config.rounds} interleaved rounds of fresh processes after one warm-up each (the OS file cache); wall time from spawn to exit, CPU time from GNU time.`,
    byCpu
      ? `The headline is CPU time: the slower of --version and --help, as the median over rounds of its CPU ms minus node -e 0's in the same round (wall: ${round(extra.version)} and ${round(extra.help)} ms beyond node -e 0 at a load average of ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores; on an idle machine wall and CPU differ by little, as Node's start reads cached files and compiles).`
      : 'The headline is wall time (GNU time is missing): the slower of --version and --help, as the median over rounds of its time minus node -e 0\'s in the same round.',
    'CPU ms: user + system time of the child (GNU time), which a busy machine inflates far less than wall time; the CLI\'s own cost is its CPU beyond node -e 0\'s.',
    'Before commands loaded lazily, every command module (rxjs, zod, ws, the fleet, the policies) loaded up front: --version took about 0.75 s against 0.18 s for node -e 0 on this machine (about 570 ms beyond it).',
  ];
  if (config.smoke) notes.push('npx rows not measured in a smoke run (a few seconds each).');
  else if (existsSync(INSTALLED_CLI)) {
    const project = consumerProject();
    try {
      const npx = await interleave(Math.min(config.rounds, NPX_ROUNDS_CAP), {
        npxNode: () => spawnOnce('npx', ['--no-install', 'node', '-e', '0'], undefined, project),
        npxVersion: () => spawnOnce('npx', ['--no-install', 'openenv-rx', '--version'], undefined, project),
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
    baseline: `\`node -e 0\` in a fresh process; headline: ${byCpu ? 'CPU' : 'wall'} ms beyond it (the slower of --version, --help)`,
    ratio: round(headline),
    target: TARGET_MS,
    met: headline <= TARGET_MS,
    rows,
    notes,
  };
}
