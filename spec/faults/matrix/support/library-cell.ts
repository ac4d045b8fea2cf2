import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defer, tap, type Observable } from 'rxjs';
import type { Cell, Fault } from '../cells.js';
import { perServer, type PoolSource } from '../../../../src/fleet/pool-source.js';
import type { Endpoint } from '../../../../src/runtime/endpoint.js';
import { processEndpoint } from '../../../../src/runtime/process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../../../src/runtime/teardown-registry.js';
import { repoPath } from '../../../fixtures/test-image.js';
import { grownHandles, activeHandles, liveChildren } from '../../support/active-handles.js';
import { startGateProxy, type GateProxy } from '../../support/gate-proxy.js';
import { SEQ_ENV, pidAlive, type ServerFleet } from '../../support/server-processes.js';
import { FaultPlan, type FaultTarget } from './fault-plan.js';
import { runCollect, runRollouts, runVector, Seq, type DriverRun } from './library-drivers.js';
import { replayed, trailViolations } from './trail.js';
import { pollUntil } from '../../../support/poll.js';

/** Client timeouts of every matrix session: short, but far above a step's time on a loaded machine. */
export const TIMEOUTS = { replyTimeoutMs: 2_000, connectTimeoutMs: 2_000, keepalive: { intervalMs: 1_000, timeoutMs: 1_500 } } as const;
const DELAY_MS = 3_000;

/** The root causes a cell may report, per fault (the fault's own, plus what a socket drop looks like first). */
const CAUSES: Record<Fault, string[]> = {
  'server SIGKILL': ['ERR_CONNECTION_CLOSED', 'ERR_CONNECTION', 'ERR_PROCESS_EXITED'],
  'server frozen (SIGSTOP)': ['ERR_TIMEOUT'],
  'server restarted on the same port': ['ERR_CONNECTION_CLOSED', 'ERR_CONNECTION'],
  'port closed before start': [],
  'reply delayed past the timeout': ['ERR_TIMEOUT'],
  'half-open socket': ['ERR_TIMEOUT'],
  'capacity refused at schema time': [],
  'container killed': ['ERR_CONTAINER_EXITED', 'ERR_CONNECTION_CLOSED'],
  'swarm task killed': ['ERR_SWARM_TASK', 'ERR_CONNECTION_CLOSED'],
};

/** The typed root cause of a reported failure: the fault itself, not the wrapper (`ERR_EPISODE_FAILED`). */
export const rootCause = (f: { code: string; causeCode: string | undefined }): string | undefined => (f.code === 'ERR_EPISODE_FAILED' ? f.causeCode : f.code);

const runners = { rollouts: runRollouts, vectorEnv: runVector, collect: runCollect } as const;
type LibraryDriver = keyof typeof runners;

export interface CellContext {
  /** The file's shared servers (url-list cells). */
  fleet: ServerFleet;
  tag: string;
  /** `collect`: a fresh output directory. */
  out?: string;
  /** The longest the run may take (default 30 s; a restarted Python server takes longer to come back). */
  withinMs?: number;
  /** How long the other servers wait for the recovered one to be used (default 15 s, counted from the first wait). */
  reuseWaitMs?: number;
}

const EPISODES = 16;
const MAX_STEPS = 4;
const SESSIONS = 4;

/**
 * Runs one library cell over the file's two shared servers (2 slots each, 4 sessions: when `s0`
 * is down the run goes on at half width on `s1`, and needs `s0` back to use its full width) and
 * asserts everything a cell asserts. Leaves both servers running for the next cell.
 */
export async function runUrlListCell(cell: Cell, ctx: CellContext): Promise<void> {
  const [s0, s1] = ctx.fleet.servers as [ServerFleet['servers'][0], ServerFleet['servers'][0]];
  for (const s of [s0, s1]) {
    s.thaw();
    if (s.pid === undefined) await s.start();
  }
  let proxy: GateProxy | undefined;
  if (cell.fault === 'half-open socket') proxy = await startGateProxy(s0.port);
  if (cell.fault === 'port closed before start') await s0.stop();
  const ledgerStart = ctx.fleet.ledger().length;
  const handlesBefore = activeHandles();
  const plan = new FaultPlan({
    fault: cell.fault,
    target: () => ({ id: s0.id, server: s0, ...(proxy ? { proxy } : {}) }),
    outageSteps: 8,
    delayMs: DELAY_MS,
    ledger: () => s0.ledger(),
    gate: cell.driver !== 'vectorEnv',
    ...(ctx.reuseWaitMs !== undefined && { reuseWaitMs: ctx.reuseWaitMs }),
  });
  const source = [proxy?.url ?? s0.url, s1.url].map((url) => Seq.connect(url, { transport: 'ws', ...TIMEOUTS }));
  // A port closed before start opens once the other server is full (a gate on the kernel's table):
  // rollouts and collect must have gone on there meanwhile; a vector (all its sub-envs or none) waits.
  if (cell.fault === 'port closed before start') {
    void pollUntil(() => s1.openConnections() >= 2, 'the open server to be full', { timeoutMs: 20_000 }).then(
      () => plan.recover(),
      (error: unknown) => plan.errors.push(error),
    );
  }
  try {
    const run = await runners[cell.driver as LibraryDriver](source as never, plan, {
      sessions: SESSIONS,
      episodes: EPISODES,
      maxSteps: MAX_STEPS,
      tag: ctx.tag,
      withinMs: ctx.withinMs ?? 30_000,
      ...(ctx.out ? { out: ctx.out } : {}),
      seed: ledgerStart,
    });
    expectCell(cell, run, plan, ctx.fleet.ledger().slice(ledgerStart));
    // Nothing leaked: no session left on any server, no socket or timer left in this process.
    await awaitRuntimeTeardowns();
    proxy?.releaseHalfOpen();
    await pollUntil(() => ctx.fleet.openConnections() === 0, `the servers to see every session closed (${ctx.fleet.openConnections()} open)`, { timeoutMs: 10_000 });
    if (proxy) await pollUntil(() => proxy.openSockets() === 0, 'the proxy to carry no socket', { timeoutMs: 10_000 });
    await proxy?.close();
    // (A server restarted by the cell has new stdio pipes: those are the test's, not the client's.)
    const grown = () => grownHandles(handlesBefore).filter((h) => !h.startsWith('PipeWrap'));
    await pollUntil(() => grown().length === 0, `handles back to the baseline (${grown().join(', ')}; children: ${liveChildren().join(', ') || 'none'})`, { timeoutMs: 10_000 });
  } finally {
    await proxy?.close();
    s0.thaw();
    s1.thaw();
  }
}

/** How a pool-started server of a cell is started and killed. */
interface StartedServers {
  /** One server per subscription, its id (what its observations say as `server`) chosen by the caller. */
  server$: (id: string) => Observable<Endpoint>;
  /** Sends `signal` to the server behind `endpoint` (a container gets `docker kill`, SIGSTOP is `docker pause`). */
  signal: (endpoint: Endpoint, signal: NodeJS.Signals) => Promise<void>;
  /** Whether anything of the run is left (a process alive, a labelled container). */
  leftovers: (endpoints: Endpoint[]) => Promise<string[]>;
}

/** Real `openenv-rx serve` processes started by the pool (`processEndpoint`). */
export const processServers = (ledgerDir: string): StartedServers => ({
  server$: (id) =>
    processEndpoint(process.execPath, [repoPath('dist/cli/main.js'), 'serve', SEQ_ENV, '--port', '{port}', '--max-sessions', '2'], {
      cwd: repoPath(),
      env: { MATRIX_LEDGER_DIR: ledgerDir, MATRIX_SERVER_ID: id },
      startTimeoutMs: 30_000,
      stopGraceMs: 1_000,
    }),
  signal: async (endpoint, signal) => {
    const pid = Number(endpoint.id);
    if (pidAlive(pid)) process.kill(pid, signal);
  },
  leftovers: async (endpoints) => endpoints.map((e) => Number(e.id)).filter(pidAlive).map((pid) => `process ${pid}`),
});

/**
 * Runs one library cell over servers the pool starts itself (`perServer`, 2 slots each, 4
 * sessions); the fault hits the first server started.
 */
export async function runStartedServersCell(cell: Cell, servers: StartedServers, ctx: { tag: string; out?: string; ledgerDir: string }): Promise<void> {
  const started: Array<{ id: string; endpoint: Endpoint }> = [];
  let next = 0;
  const server$ = defer(() => {
    const id = `${ctx.tag}p${next++}`;
    return servers.server$(id).pipe(tap((endpoint) => started.push({ id, endpoint })));
  });
  const source: PoolSource<unknown> = perServer(server$, (endpoint$) => Seq.fromEndpoint(endpoint$, { transport: 'ws', ...TIMEOUTS }));
  const signalled: Promise<void>[] = [];
  const first = (): FaultTarget | undefined => {
    const entry = started[0];
    if (!entry) return undefined;
    return { id: entry.id, signal: (signal) => void signalled.push(servers.signal(entry.endpoint, signal)) };
  };
  const ledger = () => readdirSync(ctx.ledgerDir).flatMap((f) => readFileSync(join(ctx.ledgerDir, f), 'utf8').split('\n').filter(Boolean));
  const handlesBefore = activeHandles();
  // A killed server never comes back (the pool starts another); the other faults pass.
  const recovers = cell.fault !== 'server SIGKILL' && cell.fault !== 'container killed';
  const plan = new FaultPlan({
    fault: cell.fault,
    target: first,
    outageSteps: 8,
    delayMs: DELAY_MS,
    ledger,
    gate: cell.driver !== 'vectorEnv',
    recovers,
  });
  try {
    const run = await runners[cell.driver as LibraryDriver](source as never, plan, {
      sessions: SESSIONS,
      episodes: EPISODES,
      maxSteps: MAX_STEPS,
      tag: ctx.tag,
      withinMs: 60_000,
      ...(ctx.out ? { out: ctx.out } : {}),
    });
    await Promise.all(signalled);
    expectCell(cell, run, plan, ledger());
    // A server that outlives its fault keeps its full width: 4 sessions need 2 servers of 2 slots.
    // (Its replacement session refused while it still held the abandoned slot: a lesson learnt low
    // would start a third server and leave the first one under-used.)
    if (recovers) expect(started.map((s) => s.id)).toEqual([`${ctx.tag}p0`, `${ctx.tag}p1`]);
    // Nothing leaked: every server the pool started is stopped and gone, no handle left here.
    await awaitRuntimeTeardowns();
    await pollUntil(async () => (await servers.leftovers(started.map((s) => s.endpoint))).length === 0, 'every server the pool started to be gone', { timeoutMs: 15_000 });
    const grown = () => grownHandles(handlesBefore).filter((h) => !h.startsWith('PipeWrap') || cell.source !== 'containers');
    await pollUntil(() => grown().length === 0, `handles back to the baseline (${grown().join(', ')}; children: ${liveChildren().join(', ') || 'none'})`, { timeoutMs: 10_000 });
  } finally {
    first()?.signal?.('SIGCONT');
    await Promise.all(signalled).catch(() => undefined);
  }
}

/** What every cell asserts about a finished run. */
export function expectCell(cell: Cell, run: DriverRun, plan: FaultPlan, ledger: string[]): void {
  expect(plan.errors).toEqual([]);
  // Every failure is reported with its typed root cause (never the pool's own ERR_POOL_CLOSED).
  const causes = run.failures.map(rootCause);
  expect(causes.filter((c) => c === undefined || !CAUSES[cell.fault].includes(c))).toEqual([]);
  if (cell.fault !== 'port closed before start') expect(run.failures.length).toBeGreaterThanOrEqual(1);
  if (['reply delayed past the timeout', 'server SIGKILL', 'container killed', 'swarm task killed'].includes(cell.fault)) {
    expect(run.failures.some((f) => f.stepUnknown === true)).toBe(true);
  }
  // The run went on: every planned episode ended or failed (a vector: every started one), and the
  // other servers kept answering while the target was down.
  if (cell.driver !== 'vectorEnv') expect(run.ended + run.failures.length).toBe(run.planned);
  if (run.summary) expect(run.summary).toMatchObject({ status: 'completed', recorded: run.ended, failed: run.failures.length, notRun: 0 });
  if (cell.driver !== 'vectorEnv' && ['server SIGKILL', 'server frozen (SIGSTOP)', 'half-open socket', 'port closed before start'].includes(cell.fault)) {
    expect(plan.duringOutage).toBeGreaterThanOrEqual(8);
  }
  // No reply mis-paired, no step out of order, none replayed.
  expect(trailViolations(run.trail)).toEqual([]);
  expect(replayed(ledger)).toEqual([]);
  // The recovered server (a pool-started one: its replacement) served a new session.
  expect(plan.reused).toBe(true);
}
