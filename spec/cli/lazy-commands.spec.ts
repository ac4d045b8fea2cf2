import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinEnvs } from '../../src/envs/index.js';
import { BUILTIN_ENV_NAMES } from '../../src/cli/builtin-env-names.js';
import { root } from './cli-child.js';
import { freePort } from '../../src/runtime/process/free-port.js'; // bound then released: nothing listens there

/**
 * `openenv-rx --version`, `--help` and a command's `--help` load the command definitions only
 * (commander and src/cli's option files); a command's own modules (rxjs, the transports, the
 * server, dockerode, ...) load when it runs. Each case runs the CLI in a real child process under
 * a resolve hook that writes down every module it loads.
 */

const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Loaded {
  code: number | null;
  out: string;
  err: string;
  /** Packages under node_modules, by name. */
  packages: Set<string>;
  /** Files under src/, relative to it. */
  sources: Set<string>;
}

let runs = 0;
async function loadedBy(args: string[]): Promise<Loaded> {
  const file = join(dir, `modules-${runs++}.txt`);
  const child = spawn(
    process.execPath,
    ['--import', `${root}/spec/fixtures/register-ts-loader.mjs`, '--import', `${root}/spec/cli/fixtures/record-loaded-modules.mjs`, `${root}/src/cli/main.ts`, ...args],
    { cwd: root, env: { ...process.env, OPENENV_RX_LOADED_MODULES: file }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((res) => child.once('close', res));
  clearTimeout(timer);
  const packages = new Set<string>();
  const sources = new Set<string>();
  for (const url of readFileSync(file, 'utf8').split('\n')) {
    if (!url.startsWith('file:')) continue;
    const path = fileURLToPath(url);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    if (pkg) packages.add(pkg[1]!);
    else if (path.startsWith(join(root, 'src'))) sources.add(relative(join(root, 'src'), path));
  }
  return { code, out, err, packages, sources };
}

/** Tiny leaves outside src/cli/ that the command definitions may load (a version, a default, the error base class). */
const DEFINITION_LEAVES = new Set(['internal/package-version.ts', 'internal/error-context.ts', 'errors/openenv-error.ts', 'errors/cli-errors.ts', 'server/idle-default.ts']);

function expectDefinitionsOnly(loaded: Loaded): void {
  expect([...loaded.packages]).toEqual(['commander']);
  expect([...loaded.sources].filter((s) => !s.startsWith('cli/') && !DEFINITION_LEAVES.has(s))).toEqual([]);
}

describe('openenv-rx loads a command only when it runs', () => {
  let runsByCase: Record<string, Loaded>;
  beforeAll(async () => {
    const port = await freePort();
    const cases: Record<string, string[]> = {
      version: ['--version'],
      help: ['--help'],
      rolloutHelp: ['rollout', '--help'],
      collectHelp: ['collect', '--help'],
      serveHelp: ['serve', '--help'],
      validate: ['validate', '--url', `http://127.0.0.1:${port}`, '--timeout', '2000'],
    };
    const entries = await Promise.all(Object.entries(cases).map(async ([name, args]) => [name, await loadedBy(args)] as const));
    runsByCase = Object.fromEntries(entries);
  }, 120_000);

  it('--version prints the version having loaded commander and the command definitions only', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(runsByCase['version']!.out.trim()).toBe(version);
    expect(runsByCase['version']!.code).toBe(0);
    expectDefinitionsOnly(runsByCase['version']!);
  });

  it('--help lists every command having loaded the definitions only', () => {
    const help = runsByCase['help']!;
    for (const command of ['rollout', 'collect', 'serve', 'validate', 'reap', 'tasks']) expect(help.out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expectDefinitionsOnly(help);
  });

  it.each(['rolloutHelp', 'collectHelp', 'serveHelp'])("a command's --help (%s) prints its flags without loading what it runs", (name) => {
    const run = runsByCase[name]!;
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/Options:/);
    expectDefinitionsOnly(run);
  });

  it('the names help prints are the built-in envs', () => {
    expect([...BUILTIN_ENV_NAMES].sort()).toEqual(Object.keys(builtinEnvs).sort());
  });

  it("serve --help still names every built-in env (without loading them)", () => {
    expect(runsByCase['serveHelp']!.out.replace(/\s+/g, ' ')).toMatch(/echo, echo_mcp, grid_world, cartpole, frozen_lake, frozen_lake_deterministic/);
  });

  it('a command that runs loads its own modules and not the others: validate loads the conformance checks, not the fleet or the server', () => {
    const run = runsByCase['validate']!;
    expect(run.code).toBe(1);
    expect([...run.sources].some((s) => s.startsWith('conformance/'))).toBe(true);
    expect([...run.sources].filter((s) => s.startsWith('fleet/') || s.startsWith('server/serve') || s.startsWith('runtime/docker'))).toEqual([]);
    expect(run.packages.has('dockerode')).toBe(false);
  });
});
