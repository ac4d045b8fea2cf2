import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { serveBuiltin } from '../../src/server/serve-builtin.js';
import type { RunningServer } from '../../src/server/serve.js';
import { repoPath } from '../fixtures/test-image.js';
import { describeWithOpenEnv, FIXTURES, findVenv, RELEASES, requireVenv, type OpenEnvRelease } from './support/openenv-venvs.js';
import { shapeDiff, shapeOf, wireShapes, type Capture, type Shape } from './support/wire-shapes.js';

interface WireReport {
  theirs: { step: Capture; tool: Capture };
  ours: { step: Capture; tool: Capture };
}

/**
 * Where our server knowingly differs from each release (path of the shape diff, why). Anything
 * else that differs fails the test, naming the field; a fixed difference fails too (stale entry).
 */
const TASK_ROUTES = "openenv 0.10's task API: our server's envs define no tasks (our client and CLI read it: taskApi, openenv-rx tasks)";
const REWARD_TYPE = 'grid_world declares its reward a number (it never sends a boolean or null); OpenEnv\'s Observation base allows bool | int | float | None';
const RESULT_META = "FastMCP's CallToolResult.meta: OpenEnv's fastmcp fills it, ours sends null (no client reads it)";
const KNOWN: Record<OpenEnvRelease, Record<string, string>> = {
  openenv: {
    'step.openapi.paths./list_environments': TASK_ROUTES,
    'step.openapi.paths./{env_name}/': TASK_ROUTES,
    'tool.openapi.paths./list_environments': TASK_ROUTES,
    'tool.openapi.paths./{env_name}/': TASK_ROUTES,
    'step.schema.observation.properties.reward': REWARD_TYPE,
    'tool.ws.reset.data.metadata': "0.10 sends the observation's metadata (top level and in the observation); 0.3 and generation H did not, nor do we",
    'tool.ws.reset.data.observation.metadata': '(the same)',
    'tool.ws.step.data.observation.metadata': '(the same)',
    'tool.ws.step.data.observation.result.meta': RESULT_META,
  },
  'openenv-core': {
    'step.schema.observation.properties.reward': REWARD_TYPE,
    'tool.ws.mcp_tools_list.data.result.tools[].inputSchema': "openenv-core 0.3 resolves fastmcp 4, which spells input_schema / output_schema; we send fastmcp 3's (and MCP's) inputSchema, as openenv 0.10 does; both clients read both",
    'tool.ws.mcp_tools_list.data.result.tools[].input_schema': '(the same)',
    'tool.ws.mcp_tools_list.data.result.tools[].outputSchema': '(the same)',
    'tool.ws.mcp_tools_list.data.result.tools[].output_schema': '(the same)',
    'tool.ws.mcp_tools_list.data.result.tools[].title': "fastmcp 4 fills a tool's title from its name; ours is null as fastmcp 3's",
    'tool.ws.step.data.observation.result.meta': RESULT_META,
  },
};

const snapshotPath = (release: OpenEnvRelease) => repoPath(`spec/interop/snapshots/${release}.json`);

function probe(release: OpenEnvRelease, config: object): Promise<WireReport> {
  const venv = requireVenv(release);
  return new Promise((resolve, reject) => {
    execFile(venv.python, ['wire_probe.py', JSON.stringify(config)], { cwd: FIXTURES, timeout: 120_000, maxBuffer: 32 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wire_probe.py (${release}) failed: ${error.message}\n${stderr.slice(-3000)}`));
      resolve(JSON.parse(stdout) as WireReport);
    });
  });
}

/** Env-specific contents (observation fields, state fields, tool lists) masked: what every server of the protocol shares. */
function protocolShapes(capture: Capture, masked: boolean): Record<string, Shape> {
  const shapes = wireShapes(capture);
  // Component schemas are FastAPI's model names (ours is a hand-written document): routes are compared.
  shapes['openapi'] = { paths: (shapes['openapi'] as { paths: Shape }).paths };
  const ws = JSON.parse(JSON.stringify(shapes['ws'])) as Record<string, { data?: Record<string, Shape> }>;
  const tools = (ws['mcp_tools_list']?.data?.['result'] as { tools?: Array<Record<string, Shape>> } | undefined)?.tools;
  for (const tool of tools ?? []) for (const key of ['inputSchema', 'input_schema', 'outputSchema', 'output_schema']) if (key in tool) tool[key] = 'tool-specific';
  if (!masked) return { ...shapes, ws: ws as unknown as Shape };
  for (const frame of ['reset', 'step']) if (ws[frame]?.data?.['observation']) ws[frame]!.data!['observation'] = 'env-specific';
  if (ws['state']?.data) ws['state'].data = Object.fromEntries(Object.entries(ws['state'].data).filter(([k]) => k === 'episode_id' || k === 'step_count'));
  const schema = shapes['schema'] as Record<string, { properties: Record<string, Shape> }>;
  for (const part of ['action', 'observation', 'state']) {
    const base = ['done', 'reward', 'metadata', 'episode_id', 'step_count'];
    schema[part]!.properties = Object.fromEntries(Object.entries(schema[part]!.properties).filter(([k]) => base.includes(k)));
    (schema[part] as { required?: Shape }).required = 'env-specific';
  }
  return { ...shapes, schema: schema as unknown as Shape, ws: ws as unknown as Shape };
}

describe('drift: what each pinned OpenEnv release puts on the wire, against ours and against a checked-in snapshot', () => {
  const servers: Record<string, RunningServer> = {};
  const reports = new Map<OpenEnvRelease, Promise<WireReport>>();

  beforeAll(async () => {
    servers['step'] = await serveBuiltin('grid_world', { maxSessions: 2 });
    servers['tool'] = await serveBuiltin('echo_mcp', { maxSessions: 2 });
    for (const release of RELEASES) {
      if (!findVenv(release)) continue;
      const report = probe(release, { ours: { step: servers['step'].url, tool: servers['tool'].url } });
      report.catch(() => undefined); // awaited (and failed) by the release's own beforeAll
      reports.set(release, report);
    }
  }, 30_000);
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  describe.each(RELEASES)('%s', (release) => {
    describeWithOpenEnv(release)('', () => {
      let report: WireReport;
      beforeAll(async () => {
        requireVenv(release);
        report = await reports.get(release)!;
      }, 130_000);

      it('its /openapi.json, /schema, /metadata, /health and /ws frames match the snapshot (UPDATE_INTEROP_SNAPSHOTS=1 rewrites it)', () => {
        const captured = { step: wireShapes(report.theirs.step), tool: wireShapes(report.theirs.tool) } as unknown as Shape;
        if (process.env['UPDATE_INTEROP_SNAPSHOTS'] === '1' || !existsSync(snapshotPath(release))) {
          if (process.env['CI']) throw new Error(`no snapshot ${snapshotPath(release)} under CI: run the interop tests with UPDATE_INTEROP_SNAPSHOTS=1 and commit it`);
          writeFileSync(snapshotPath(release), `${JSON.stringify(captured, null, 1)}\n`);
        }
        const snapshot = JSON.parse(readFileSync(snapshotPath(release), 'utf8')) as Shape;
        expect(shapeDiff(snapshot, captured)).toEqual([]);
      });

      it.each(['step', 'tool'] as const)('%s env: our server puts the same shapes on the wire (known differences listed)', (kind) => {
        const masked = kind === 'step';
        const diff = shapeDiff(protocolShapes(report.theirs[kind], masked), protocolShapes(report.ours[kind], masked)).map((line) => `${kind}.${line}`);
        const unexplained = diff.filter((line) => !Object.keys(KNOWN[release]).some((known) => line.startsWith(known)));
        const stale = Object.keys(KNOWN[release]).filter((known) => known.startsWith(`${kind}.`) && !diff.some((line) => line.startsWith(known)));
        expect({ unexplained, stale }).toEqual({ unexplained: [], stale: [] });
      });

      it('shapeDiff names a changed field (the check above cannot pass vacuously)', () => {
        const shapes = wireShapes(report.theirs.tool);
        const moved = JSON.parse(JSON.stringify(shapes)) as { ws: { reset: { data: Record<string, Shape> } } };
        moved.ws.reset.data['done'] = 'string';
        expect(shapeDiff(shapes as unknown as Shape, moved as unknown as Shape)).toEqual(['ws.reset.data.done: boolean → string']);
        expect(shapeOf(report.theirs.tool.ws['reset'])).toMatchObject({ type: 'string', data: { done: 'boolean' } });
      });
    });
  });
});
