import { execFile } from 'node:child_process';
import { serveBuiltin } from '../../src/server/serve-builtin.js';
import type { RunningServer } from '../../src/server/serve.js';
import { describeWithOpenEnv, findVenv, FIXTURES, RELEASES, requireVenv, type OpenEnvRelease } from './support/openenv-venvs.js';

/** A step action and an action the env's schema refuses, per built-in step env. */
const STEP_ENVS: Record<string, { action: object; bad_action: object }> = {
  echo: { action: { message: 'hi' }, bad_action: { message: 7 } },
  grid_world: { action: { action: 'UP' }, bad_action: { action: 'SIDEWAYS' } },
  cartpole: { action: { action: 1 }, bad_action: { action: 2 } },
  frozen_lake: { action: { action: 2 }, bad_action: { action: 9 } },
  frozen_lake_deterministic: { action: { action: 2 }, bad_action: { action: 9 } },
};

interface Raised {
  raised: string | null;
  message?: string;
}
interface ClientRun {
  reset: { observation_keys: string[]; reward: number | null; done: boolean };
  step: { observation_keys: string[]; reward: number | null; done: boolean };
  state_keys: string[];
  step_count?: number;
  bad_action?: Raised;
  after_bad_action?: Raised;
}
interface TargetReport {
  sync?: ClientRun;
  async?: ClientRun;
  tools?: { tools: string[]; call: string; unknown_tool: Raised; bad_args: Raised };
  capacity?: Raised;
  validate: { exit_code: number; passed: boolean; failed: string[]; criteria: number };
}
type Report = Record<string, TargetReport>;

/** Runs clients_probe.py in the release's venv; resolves with its JSON report. */
function probe(release: OpenEnvRelease, config: object): Promise<Report> {
  const venv = requireVenv(release);
  return new Promise((resolve, reject) => {
    execFile(venv.python, ['clients_probe.py', JSON.stringify(config)], { cwd: FIXTURES, timeout: 150_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`clients_probe.py (${release}) failed: ${error.message}\n${stderr.slice(-3000)}`));
      try {
        resolve(JSON.parse(stdout) as Report);
      } catch {
        reject(new Error(`clients_probe.py (${release}) printed no JSON:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      }
    });
  });
}

/**
 * A second session on a full server: the server sends CAPACITY_REACHED and closes (1000). The
 * client raises RuntimeError when it reads that frame, or ConnectionClosedOK when the close
 * arrived before its reset was sent (openenv-core's client races there against either server).
 */
function capacityRefusal(raised: Raised): string {
  if (raised.raised === 'builtins.RuntimeError' && raised.message?.includes('CAPACITY_REACHED')) return 'refused (error frame)';
  if (raised.raised === 'websockets.exceptions.ConnectionClosedOK') return 'refused (error frame)';
  return `other: ${raised.raised} ${raised.message ?? ''}`;
}

describe("OpenEnv's own clients (EnvClient sync and async, MCPToolClient, openenv validate) against our serve of every built-in env", () => {
  const servers: Record<string, RunningServer> = {};
  const reports = new Map<OpenEnvRelease, Promise<Report>>();

  beforeAll(async () => {
    for (const name of [...Object.keys(STEP_ENVS), 'echo_mcp']) servers[name] = await serveBuiltin(name, { maxSessions: 4 });
    servers['single'] = await serveBuiltin('grid_world', { maxSessions: 1 });
    const targets = [
      ...Object.entries(STEP_ENVS).map(([name, actions]) => ({ name, url: servers[name]!.url, ...actions })),
      { name: 'echo_mcp', url: servers['echo_mcp']!.url, tool: { name: 'echo_message', args: { message: 'hi' }, bad_args: { message: 42 } } },
      { name: 'single', url: servers['single']!.url, ...STEP_ENVS['grid_world']!, single_url: servers['single']!.url },
    ];
    // Both releases probe at once (each is one Python process: its import is most of the time).
    for (const release of RELEASES) {
      if (!findVenv(release)) continue;
      const report = probe(release, { targets, reference: true });
      report.catch(() => undefined); // awaited (and failed) by the release's own beforeAll
      reports.set(release, report);
    }
  }, 30_000);
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  describe.each(RELEASES)('openenv release: %s', (release) => {
    describeWithOpenEnv(release)('', () => {
      let report: Report;
      beforeAll(async () => {
        requireVenv(release);
        report = await reports.get(release)!;
      }, 160_000);

      it.each(Object.keys(STEP_ENVS))('%s: EnvClient sync and async reset, step and read state', (name) => {
        const target = report[name]!;
        for (const run of [target.sync!, target.async!]) {
          expect(run).toMatchObject({ reset: { done: false }, step: { observation_keys: expect.any(Array) } });
          expect(run.step.observation_keys.length).toBeGreaterThan(0);
          expect(run.state_keys).toEqual(expect.arrayContaining(['episode_id', 'step_count']));
        }
        expect(target.sync!.step_count).toBe(1);
      });

      it('echo_mcp: MCPToolClient lists the tools and calls one', () => {
        const tools = report['echo_mcp']!.tools!;
        expect(tools.tools).toEqual(['echo_message', 'echo_with_length']);
        expect(tools.call).toContain('hi');
      });

      it.each([...Object.keys(STEP_ENVS), 'echo_mcp'])('%s: openenv validate --url passes', (name) => {
        expect(report[name]!.validate).toMatchObject({ exit_code: 0, passed: true, failed: [] });
      });

      it("errors raise the same exception types as against OpenEnv's own server", () => {
        const ours = report['single']!;
        const theirs = report['reference:corridor']!;
        const types = (r: TargetReport) => ({
          syncBadAction: r.sync!.bad_action!.raised,
          syncAfterBadAction: r.sync!.after_bad_action!.raised,
          asyncBadAction: r.async!.bad_action!.raised,
          capacity: capacityRefusal(r.capacity!),
        });
        expect(types(theirs).syncBadAction).not.toBeNull(); // the reference does raise
        expect(types(theirs).capacity).not.toBeNull();
        expect(types(ours)).toEqual(types(theirs));
        // openenv-core's MCPToolClient appends the server's error_type to the message: `(type: execution_error)`.
        const errorType = (raised: Raised) => /\(type: (\w+)\)$/.exec(raised.message ?? '')?.[1] ?? null;
        const toolTypes = (r: TargetReport) => ({
          unknownTool: r.tools!.unknown_tool.raised,
          unknownToolType: errorType(r.tools!.unknown_tool),
          badArgs: r.tools!.bad_args.raised,
          badArgsType: errorType(r.tools!.bad_args),
        });
        expect(toolTypes(report['reference:adder']!).unknownTool).not.toBeNull();
        expect(toolTypes(report['echo_mcp']!)).toEqual(toolTypes(report['reference:adder']!));
      });
    });
  });
});
