import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { builtinEnvs } from '../../src/envs/index.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { ensureBuiltDist } from '../fixtures/built-dist.js';
import { startLegacyServer } from '../fixtures/legacy-server-process.js';
import { repoPath } from '../fixtures/test-image.js';
import { cli } from './cli-support.js';

const run = promisify(execFile);

/**
 * The driver compiled with the generated modules: each env driven through its generated
 * defineEnv. The `@ts-expect-error` lines prove the generated types are exact (an `any` or a
 * loose type would leave them unused, which tsc reports as an error).
 */
const DRIVER = `
import { lastValueFrom, toArray } from 'rxjs';
import { withSession, type Policy } from 'openenv-rx';
import { Echo, type EchoAction } from './echo.js';
import { EchoMcp, type EchoMcpAction, type EchoMcpObservation } from './echo_mcp.js';
import { GridWorld, type GridWorldAction, type GridWorldObservation } from './grid_world.js';
import { Cartpole, type CartpoleObservation } from './cartpole.js';
import { FrozenLake, type FrozenLakeAction } from './frozen_lake.js';
import { FrozenLakeDeterministic } from './frozen_lake_deterministic.js';

// @ts-expect-error: message is a string
const badEcho: EchoAction = { message: 1 };
// @ts-expect-error: not a direction
const badMove: GridWorldAction = { action: 'NORTH' };
// @ts-expect-error: actions are 0..3
const badLake: FrozenLakeAction = { action: 7 };
// @ts-expect-error: tool_name is required
const badCall: EchoMcpAction = { arguments: {} };
void [badEcho, badMove, badLake, badCall];

import { urls } from './urls.js';
declare const console: { log(line: string): void };
const toGoal: Policy<GridWorldAction, GridWorldObservation> = (o) => ({ action: o.x < 4 ? 'DOWN' : 'RIGHT' });
const balance: Policy<{ action: 0 | 1 }, CartpoleObservation> = (o) => ({ action: o.pole_angle > 0 ? 1 : 0 });
const echoTool: Policy<EchoMcpAction, EchoMcpObservation> = () => ({ tool_name: 'echo_message', arguments: { message: 'hi' } });

const runs = {
  echo: Echo.connect(urls['echo']!).pipe(withSession((env) => env.episode(() => ({ message: 'hello' }), { maxSteps: 2 }))),
  echo_mcp: EchoMcp.connect(urls['echo_mcp']!).pipe(withSession((env) => env.episode(echoTool, { maxSteps: 2 }))),
  grid_world: GridWorld.connect(urls['grid_world']!).pipe(withSession((env) => env.episode(toGoal, { seed: 0, maxSteps: 20 }))),
  cartpole: Cartpole.connect(urls['cartpole']!).pipe(withSession((env) => env.episode(balance, { seed: 0, maxSteps: 5 }))),
  frozen_lake: FrozenLake.connect(urls['frozen_lake']!).pipe(withSession((env) => env.episode(() => ({ action: 2 }), { seed: 0, maxSteps: 5 }))),
  frozen_lake_deterministic: FrozenLakeDeterministic.connect(urls['frozen_lake_deterministic']!).pipe(
    withSession((env) => env.episode(() => ({ action: 1 }), { seed: 0, maxSteps: 5 })),
  ),
};
const out: Record<string, unknown> = {};
for (const [name, run$] of Object.entries(runs)) {
  const steps = await lastValueFrom((run$ as typeof runs.echo).pipe(toArray()));
  const last = steps[steps.length - 1]!;
  out[name] = { steps: steps.length - 1, done: last.done, observation: last.observation };
}
// The generated zod schema checks actions at run time too, before the wire.
const refused = await lastValueFrom(GridWorld.connect(urls['grid_world']!).pipe(withSession((env) => env.step({ action: 'NORTH' } as never)))).catch((e: { code: string }) => e.code);
const state = await lastValueFrom(GridWorld.connect(urls['grid_world']!).pipe(withSession((env) => env.state())));
const listed = await lastValueFrom(EchoMcp.connect(urls['echo_mcp']!).pipe(withSession((env) => env.step({ type: 'list_tools' }))));
const tools = 'tools' in listed.observation ? listed.observation.tools.map((t) => t.name) : [];
console.log(JSON.stringify({ ...out, refused, stepCount: state.step_count, tools }));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    types: [], // the driver needs no Node types: leaving @types/node out keeps tsc fast
    lib: ['ES2022'],
    rootDir: '.',
    outDir: 'out',
  },
  include: ['*.ts'],
};

describe('openenv-rx types URL', () => {
  const servers = new Map<string, RunningServer>();
  let dir: string;
  beforeAll(async () => {
    await ensureBuiltDist(); // the generated modules import 'openenv-rx': this package, by its exports
    for (const [name, definition] of Object.entries(builtinEnvs)) servers.set(name, await serve(definition));
    // Inside the package (gitignored tmp/), so 'openenv-rx', 'zod' and 'rxjs' resolve as in a user's project.
    mkdirSync(repoPath('tmp'), { recursive: true });
    dir = mkdtempSync(join(repoPath('tmp'), 'types-'));
  }, 180_000);
  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('generates, for every built-in env, a module that tsc compiles and that drives a session which steps', async () => {
    for (const [name, server] of servers) {
      const { code, out, err } = await cli('types', server.url, '--name', name);
      expect({ name, code, err }).toEqual({ name, code: 0, err: '' });
      writeFileSync(join(dir, `${name}.ts`), out);
    }
    writeFileSync(join(dir, 'drive.ts'), DRIVER);
    const urls = Object.fromEntries([...servers].map(([name, s]) => [name, s.url]));
    writeFileSync(join(dir, 'urls.ts'), `export const urls: Record<string, string> = ${JSON.stringify(urls)};\n`);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    await run(process.execPath, [repoPath('node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, timeout: 150_000 }).catch((e: { stdout: string }) => {
      throw new Error(`tsc failed:\n${e.stdout}`);
    });
    const { stdout } = await run(process.execPath, [join(dir, 'out/drive.js')], { cwd: dir, timeout: 60_000 });
    const result = JSON.parse(stdout);
    expect(result.echo).toEqual({ steps: 2, done: false, observation: { echoed_message: 'hello', message_length: 5 } });
    expect(result.echo_mcp.steps).toBe(2);
    expect(result.echo_mcp.observation).toMatchObject({ tool_name: 'echo_message', error: null });
    // DOWN x4 then RIGHT x4 reaches the goal; message filled by the generated default when absent.
    expect(result.grid_world).toMatchObject({ steps: 8, done: true, observation: { x: 4, y: 4 } });
    expect(result.cartpole.steps).toBeGreaterThan(0);
    expect(Object.keys(result.cartpole.observation).sort()).toEqual(['cart_position', 'cart_velocity', 'pole_angle', 'pole_angular_velocity']);
    expect(result.frozen_lake.observation).toEqual(expect.objectContaining({ tile: expect.stringMatching(/^[SFHG]$/) }));
    expect(result.frozen_lake_deterministic).toMatchObject({ steps: expect.any(Number), observation: { col: 0 } });
    expect(result.refused).toBe('ERR_ACTION_INVALID');
    expect(result.stepCount).toBe(0);
    expect(result.tools).toEqual(['echo_message', 'echo_with_length']);
  }, 240_000);

  it("names the env after GET /metadata by default, keeps the action strict and the observation's envelope fields out", async () => {
    const { code, out } = await cli('types', servers.get('grid_world')!.url);
    expect(code).toBe(0);
    expect(out).toContain('export const GridWorldEnvironment = defineEnv({ name: "GridWorldEnvironment"');
    expect(out).toMatch(/export const GridWorldEnvironmentAction = z\.strictObject\(\{\n  action: z\.enum\(\["UP", "DOWN", "LEFT", "RIGHT"\]\)/);
    const observation = out.slice(out.indexOf('export const GridWorldEnvironmentObservation'), out.indexOf('export const GridWorldEnvironmentState'));
    expect(observation).toContain('x: z.int()');
    expect(observation).not.toMatch(/\b(done|reward|metadata):/);
  });

  it('fails with ERR_HTTP_STATUS on a generation-A server (no /schema), ERR_INVALID_URL on a URL with credentials, ERR_CONNECTION on a closed port', async () => {
    const legacy = await startLegacyServer();
    try {
      const a = await cli('types', legacy.url);
      expect(a.code).toBe(1);
      expect(a.out).toBe('');
      expect(a.err).toMatch(/^openenv-rx: ERR_HTTP_STATUS: .*404/);
    } finally {
      await legacy.stop();
    }
    const creds = await cli('types', 'http://me:secret@127.0.0.1:8000');
    expect(creds.err).toMatch(/^openenv-rx: ERR_INVALID_URL/);
    expect(creds.err).not.toContain('secret');
    const closed = await serve(builtinEnvs['echo']!);
    const url = closed.url;
    await closed.close();
    const dead = await cli('types', url, '--timeout', '2000');
    expect(dead.code).toBe(1);
    expect(dead.err).toMatch(/^openenv-rx: ERR_CONNECTION/);
  });
});
