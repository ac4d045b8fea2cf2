import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ensureBuiltDist } from '../../fixtures/built-dist.js';
import { plannedIds, readFailures, readResults } from '../../fleet/support/collect-files.js';
import { pidAlive, SEQ_ENV, startServerFleet, type ServerFleet } from '../support/server-processes.js';
import { CELLS, cellName, type Cell } from './cells.js';
import { runCli, SEQ_POLICY, trailOf } from './support/cli-run.js';
import { replayed, sessionKey, trailViolations, type SeqAct, type SeqObs, type TrailStep } from './support/trail.js';
import { pollUntil } from '../../support/poll.js';

const POLICY = SEQ_POLICY;
/** The frozen and delayed rows run under `npm run soak:faults` (MATRIX_FULL=1): each waits out a reply timeout. */
const FULL = process.env['MATRIX_FULL'] === '1';

/** The server sessions (server/pid/conn) a trail's steps ran on. */
const trailKeys = (trail: TrailStep[]): string[] => trail.map((t) => sessionKey(t.observation));

/** Another client holding every slot of a server: a raw /ws socket per slot. */
async function holdSlots(url: string, n: number): Promise<WebSocket[]> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    }),
  );
}

/** A row of `rollout -o` (record-trajectory's line). */
interface RolloutRow {
  /** `reset`, `step`, or the episode's summary row (`episode`). */
  kind: string;
  episodeId: string;
  index: number;
  action: SeqAct | null;
  observation: SeqObs | null;
  error: { code: string; cause: string | null; stepUnknown: boolean } | null;
}

const cell = (driver: Cell['driver'], fault: Cell['fault']): Cell => CELLS.find((c) => c.driver === driver && c.source === 'url list' && c.fault === fault)!;

// The CLI drivers against one real `openenv-rx serve` process (`--url` takes one server).
describe('fault matrix: CLI rollout and collect over --url', () => {
  let fleet: ServerFleet;
  const dirs: string[] = [];
  const outDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-matrix-cli-'));
    dirs.push(dir);
    return join(dir, 'out');
  };
  beforeAll(async () => {
    await ensureBuiltDist();
    fleet = await startServerFleet(2, { maxSessions: 2 });
  }, 120_000);
  afterAll(async () => {
    await fleet?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    for (const s of fleet.servers) if (s.pid === undefined) await s.start();
  });

  /**
   * `openenv-rx collect --url` of the seq env with the seq policy; `fault` runs once the run is under
   * way (a gate on the server's own ledger) and returns once the server is back. Asserts what every
   * cell asserts: exit 0, every planned episode recorded or failed with `codes`, nothing mis-paired
   * or replayed, the server used again after the fault, nothing left open.
   */
  async function collectCell(fault: (server: ServerFleet['servers'][0], out: string) => Promise<void>, codes: string[], env: Record<string, string> = {}, newSession = true) {
    const server = fleet.servers[0]!;
    const ledgerStart = fleet.ledger().length;
    const out = outDir();
    const episodes = 30;
    const seed = ledgerStart;
    const cli = runCli(
      ['collect', '--url', server.url, '--env', SEQ_ENV, '--policy', POLICY, '-o', out, '-n', String(episodes), '-s', '2', '--max-steps', '5', '--seed', String(seed), '--reply-timeout', '2', '--json'],
      env,
    );
    await pollUntil(() => server.ledger().length >= ledgerStart + 20, 'the run to be under way', { timeoutMs: 60_000 });
    const sessionsBefore = new Set(trailKeys(readResults(out).length ? trailOf(out) : []));
    await fault(server, out);
    const { code, out: stdout, err } = await cli.done;
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    const summary = JSON.parse(stdout) as { status: string; recorded: number; failed: number };
    const failures = readFailures(out);
    expect(summary).toMatchObject({ status: 'completed', failed: failures.length });
    expect([...readResults(out).map((r) => r.episode_id), ...failures.map((f) => f.episode_id)].sort()).toEqual(plannedIds(seed, episodes));
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.map((f) => f.error.code).filter((c) => !codes.includes(c ?? ''))).toEqual([]);
    const trail = trailOf(out);
    expect(trailViolations(trail)).toEqual([]);
    expect(replayed(fleet.ledger().slice(ledgerStart))).toEqual([]);
    // The server served sessions opened after the fault.
    if (newSession) expect(trailKeys(trail).some((key) => !sessionsBefore.has(key))).toBe(true);
    expect(pidAlive(cli.pid)).toBe(false);
    await pollUntil(() => fleet.openConnections() === 0, 'every session closed on the servers', { timeoutMs: 10_000 });
  }

  it(cellName(cell('cli collect', 'server restarted on the same port')), async () => {
    await collectCell(async (server) => {
      await server.stop();
      await server.start();
    }, ['ERR_CONNECTION_CLOSED', 'ERR_CONNECTION']);
  }, 120_000);

  it(cellName(cell('cli rollout', 'server restarted on the same port')), async () => {
    // `openenv-rx rollout --url ... -o steps.jsonl`: every step row says which server session
    // answered it, a failed episode's last row carries its error; the server restarts mid-run.
    const server = fleet.servers[0]!;
    const ledgerStart = fleet.ledger().length;
    const steps = `${outDir()}.jsonl`;
    const episodes = 30;
    const cli = runCli(['rollout', '--url', server.url, '--env', SEQ_ENV, '--policy', POLICY, '-n', String(episodes), '-s', '2', '--max-steps', '5', '--json', '-o', steps]);
    await pollUntil(() => server.ledger().length >= ledgerStart + 20, 'the run to be under way', { timeoutMs: 60_000 });
    const pidBefore = server.pid;
    await server.stop();
    await server.start();
    const { code, out: stdout, err } = await cli.done;
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    const report = JSON.parse(stdout) as { overall: { episodes: number; failed: number }; capacity: { lost: number }; perEpisode: Array<{ episodeId: string; truncated: boolean; failed?: true }> };
    const rows = readFileSync(steps, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as RolloutRow)
      .filter((r) => r.kind !== 'episode');
    const failures = rows.filter((r) => r.error !== null);
    // Every planned episode ended (cut at 5 steps) or failed, each failure with its root cause.
    expect(report.overall.episodes).toBe(episodes);
    expect(report.perEpisode.every((e) => e.truncated !== (e.failed === true))).toBe(true);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(report.overall.failed).toBe(failures.length);
    expect(failures.map((f) => f.error!.cause).filter((c) => !['ERR_CONNECTION_CLOSED', 'ERR_CONNECTION'].includes(c ?? ''))).toEqual([]);
    // Nothing mis-paired or replayed; the restarted server (a new pid) served new sessions.
    const trail: TrailStep[] = rows
      .filter((r) => r.error === null)
      .map((r) => ({ episode: r.episodeId, index: r.index, ...(r.action ? { message: r.action.message } : {}), observation: r.observation! }));
    expect(trailViolations(trail)).toEqual([]);
    expect(replayed(fleet.ledger().slice(ledgerStart))).toEqual([]);
    expect(trail.some((t) => t.observation.pid === server.pid && server.pid !== pidBefore)).toBe(true);
    expect(pidAlive(cli.pid)).toBe(false);
    await pollUntil(() => fleet.openConnections() === 0, 'every session closed on the servers', { timeoutMs: 10_000 });
  }, 120_000);

  const soakIt = FULL ? it : () => undefined; // defined only under npm run soak:faults

  soakIt(cellName(cell('cli collect', 'server frozen (SIGSTOP)')), async () => {
    await collectCell(async (server, out) => {
      server.freeze();
      try {
        // Thawed once the run reported the frozen sessions' episodes failed (a gate on failures.jsonl).
        await pollUntil(() => readFailures(out).length >= 1, 'a failure to be reported', { timeoutMs: 30_000 });
      } finally {
        server.thaw();
      }
    }, ['ERR_TIMEOUT']);
  }, 120_000);

  soakIt(cellName(cell('cli collect', 'reply delayed past the timeout')), async () => {
    // Episode 10 (not started when the gate opens) asks for a reply 3 s late; the CLI's reply timeout is 2 s.
    await collectCell(async (_server, out) => {
      await pollUntil(() => readFailures(out).length >= 1, 'the delayed step to be reported', { timeoutMs: 60_000 });
      // The run may end on the server's other session before the delayed step frees its slot: no new session is required.
    }, ['ERR_TIMEOUT'], { MATRIX_DELAY_EPISODE: `s${fleet.ledger().length}-e000010` }, false);
  }, 120_000);

  for (const driver of ['cli rollout', 'cli collect'] as const) {
    it(cellName(cell(driver, 'capacity refused at schema time')), async () => {
      const server = fleet.servers[1]!;
      // Another client holds both slots: the first session and the schema request are refused.
      const holders = await holdSlots(server.url, 2);
      const out = outDir();
      const args =
        driver === 'cli collect'
          ? ['collect', '--url', server.url, '-o', out, '-n', '4', '-s', '1', '--max-steps', '3', '--json']
          : ['rollout', '--url', server.url, '-n', '4', '-s', '1', '--max-steps', '3', '--json'];
      const cli = runCli(args);
      try {
        // Released only once the CLI's own connection reached the server (and was refused).
        await pollUntil(() => server.openConnections() > 2 || pidAlive(cli.pid) === false, 'the CLI to reach the full server', { timeoutMs: 30_000 });
        // Not a correctness margin: a little longer under refusal makes a refused schema request likelier.
        await new Promise((resolve) => setTimeout(resolve, 300));
      } finally {
        for (const ws of holders) ws.terminate();
      }
      const { code, err } = await cli.done;
      expect(err).not.toMatch(/does not serve|ERR_POLICY/);
      expect(code).toBe(0);
      await pollUntil(() => server.openConnections() === 0, 'every session closed on the server', { timeoutMs: 10_000 });
    }, 120_000);
  }
});
