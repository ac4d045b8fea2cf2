import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { echoEnv } from '../../src/envs/echo.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { useFaultServer } from '../faults/support/fault-server.js';
import { serverConnections } from '../faults/support/tcp-connections.js';
import { openSocket, type TestSocket } from '../server/support.js';
import { spawnCli, runCliChild } from './cli-child.js';
import { pollUntil } from '../support/poll.js';

/**
 * `--policy random` asks the first session for the action schema (`GET /schema`). When another
 * client holds the only slot of a 1-slot server, that session is refused: the schema request must
 * wait for capacity like the session does, not report a server without `/schema`.
 */
describe('openenv-rx --policy random against a 1-slot server whose slot another client holds (real processes)', () => {
  let server: RunningServer | undefined;
  let holder: TestSocket | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    holder?.socket.terminate();
    holder = undefined;
    await server?.close();
    server = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** The server with its slot held; `release()` once the CLI has connected and asked for the schema. */
  async function heldServer() {
    server = await serve(echoEnv, { maxSessions: 1 });
    holder = await openSocket(server.url);
    holder.sendJson({ type: 'reset', data: {} });
    await holder.next(10_000);
    expect(server.activeSessions()).toBe(1);
    const { port } = server;
    // Gate: the kernel shows the CLI's /ws connection (refused: the slot is held) and its
    // GET /schema connection besides the holder's. Then the holder leaves.
    const release = async () => {
      await pollUntil(() => serverConnections(port) >= 3, 'serverConnections(port) >= 3', { timeoutMs: 30_000, intervalMs: 50 });
      holder!.socket.close();
    };
    return { url: server.url, release };
  }

  it('rollout: the schema request waits for the slot; every episode runs', async () => {
    const { url, release } = await heldServer();
    const cli = spawnCli(['rollout', '--url', url, '--policy', 'random', '-n', '2', '-s', '1', '--max-steps', '2', '--json']);
    await release();
    const code = await cli.exited;
    expect(cli.stderr()).not.toMatch(/openenv-rx: ERR_/);
    expect(code).toBe(0);
    const report = JSON.parse(cli.stdout()) as RolloutReport;
    expect(report.overall.episodes).toBe(2);
    expect(report.capacity.refusals).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('collect: the schema request waits for the slot; every episode is recorded', async () => {
    const { url, release } = await heldServer();
    const dir = mkdtempSync(join(tmpdir(), 'schema-capacity-'));
    dirs.push(dir);
    const out = join(dir, 'run');
    const cli = spawnCli(['collect', '--url', url, '--policy', 'random', '-n', '2', '-s', '1', '--max-steps', '2', '-o', out]);
    await release();
    const code = await cli.exited;
    expect(cli.stderr()).not.toMatch(/openenv-rx: ERR_/);
    expect(code).toBe(0);
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  }, 90_000);
});

describe('openenv-rx --policy random against a generation-A-like server (no /schema)', () => {
  const start = useFaultServer();

  it('still says that the server does not serve /schema (404), at once', async () => {
    const legacy = await start({
      upgradeStatus: 403,
      onHttp: (request) => (request.path === '/schema' || request.path === '/metadata' ? { status: 404, body: { detail: 'Not Found' } } : undefined),
    });
    const started = Date.now();
    const { code, err } = await runCliChild(['rollout', '--url', legacy.url, '--transport', 'http', '--policy', 'random', '-n', '1', '-s', '1', '--max-steps', '2']);
    expect(code).toBe(1);
    expect(err).toMatch(/openenv-rx: ERR_POLICY: .*--policy random needs the action schema from GET \/schema, which http:\/\/127\.0\.0\.1:\d+ does not serve \(HTTP 404: a generation-A server\?\)/);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
