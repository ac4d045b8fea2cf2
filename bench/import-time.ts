import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { BenchConfig, SectionResult } from './section-result.js';
import { median, round } from './stats.js';

/** The main entry may cost this much more than the libraries it cannot do without. */
const TARGET = 2;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The main entry as compiled for the bench (same sources as dist/index.js). */
const MAIN = pathToFileURL(fileURLToPath(new URL('../src/index.js', import.meta.url))).href;

/** Statements run in a fresh node process; the child prints how long the imports took (ms). */
const CONTENDERS = {
  deps: `await import('rxjs'); await import('zod'); await import('ws');`,
  main: `await import(${JSON.stringify(MAIN)});`,
  dockerode: `await import('dockerode');`,
  mainAndDocker: `const m = await import(${JSON.stringify(MAIN)}); await new Promise((r) => m.dockerEndpoint('').subscribe({ error: r }));`,
} as const;
type Name = keyof typeof CONTENDERS;

async function importMs(code: string): Promise<number> {
  const script = `const t0 = performance.now(); ${code} process.stdout.write(String(performance.now() - t0));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 60_000 });
  return Number(stdout.trim());
}

/**
 * Section: how long `import 'openenv-rx'` takes in a fresh process, against importing rxjs + zod
 * + ws alone (what any client of this kind loads). Runtimes (dockerode, the server) load on first
 * subscribe: the `mainAndDocker` row shows that cost paid once, on first use.
 */
export async function importTime(config: BenchConfig): Promise<SectionResult> {
  const names = Object.keys(CONTENDERS) as Name[];
  const runs = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
  for (const name of names) await importMs(CONTENDERS[name]); // warm-up: the OS file cache
  for (let r = 0; r < config.rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) runs[name].push(await importMs(CONTENDERS[name]));
  }
  const ms = (name: Name) => median(runs[name]);
  const ratio = ms('main') / ms('deps');
  const row = (what: string, name: Name) => ({ import: what, ms: round(ms(name)), 'vs rxjs + zod + ws': round(ms(name) / ms('deps')) });
  return {
    id: 'import-time',
    title: 'Import time of the main entry',
    status: 'ok',
    baseline: "import 'rxjs', 'zod', 'ws' in a fresh node process",
    ratio: round(ratio),
    target: TARGET,
    met: ratio <= TARGET,
    rows: [
      row('rxjs + zod + ws (baseline)', 'deps'),
      row("openenv-rx main entry (headline)", 'main'),
      row('dockerode alone (now loaded on first subscribe)', 'dockerode'),
      row('main entry + first dockerEndpoint subscribe', 'mainAndDocker'),
    ],
    notes: [
      `${config.rounds} interleaved fresh processes per row after one warm-up each; medians of the time spent in import() (node's own start excluded).`,
      'The main entry also loads got (the HTTP transport) and its own zod schemas; the baseline does not.',
    ],
  };
}
