import { defer, lastValueFrom, of, count as countSteps, firstValueFrom } from 'rxjs';
import { rollouts } from '../src/operators/rollouts.js';
import type { EnvSession } from '../src/session/types.js';
import { defineEnv } from '../src/session/define-env.js';
import { openBareFleet } from './bare-ws-fleet.js';
import { BUILTIN_SERVER, startChildServer, type ChildServer } from './child-server.js';
import { ECHO_ACTION, Echo } from './echo-env.js';
import { openSession, sessionEpisodes, type OpenSession } from './open-session.js';
import type { BenchConfig, Row, SectionResult } from './section-result.js';
import { calibrate, fleetRounds, interleave, medianCpuUsPerOp, medianOpsPerSecond, medianPairedRatio, round, type Samples } from './stats.js';

export const LEVELS = [1, 8, 32, 64] as const;
/** Sessions per server process: N = 32 and 64 spread over 2 and 4 processes (as the vector section). */
const PER_SERVER = 16;
/** Steps per episode (after its reset) for every contender. */
const EPISODE_STEPS = 100;
/** The issue's bar: at least 0.9× the bare clients' steps/s, i.e. a time ratio of at most 1/0.9. */
const TARGET = round(1 / 0.9);

type EchoSession = EnvSession<typeof ECHO_ACTION, unknown, unknown>;

/**
 * The columns both sections report for rollouts(), plain sessions and bare `ws` clients: steps/s,
 * throughput vs bare (from the paired time ratios, also returned) and client CPU per step.
 */
function versusBare(samples: Samples<'rollouts' | 'plain' | 'bare'>): { rolloutRatio: number; plainRatio: number; columns: Row } {
  const rolloutRatio = medianPairedRatio(samples.rollouts, samples.bare);
  const plainRatio = medianPairedRatio(samples.plain, samples.bare);
  return {
    rolloutRatio,
    plainRatio,
    columns: {
      'rollouts steps/s': round(medianOpsPerSecond(samples.rollouts)),
      'plain sessions steps/s': round(medianOpsPerSecond(samples.plain)),
      'bare ws steps/s': round(medianOpsPerSecond(samples.bare)),
      'rollouts vs bare': round(1 / rolloutRatio),
      'plain vs bare': round(1 / plainRatio),
      // Client CPU per step: what each layer costs; with 2 cores shared by client and servers it decides throughput.
      'CPU µs/step rollouts': round(medianCpuUsPerOp(samples.rollouts)),
      'plain': round(medianCpuUsPerOp(samples.plain)),
      'bare': round(medianCpuUsPerOp(samples.bare)),
    },
  };
}

async function startServers(count: number): Promise<ChildServer[]> {
  const servers: ChildServer[] = [];
  // Slots for all three contenders' sockets at once.
  for (let i = 0; i < count; i++) servers.push(await startChildServer(BUILTIN_SERVER, ['echo'], { MAX_CONCURRENT_ENVS: String(PER_SERVER * 3) }));
  return servers;
}

/**
 * `rollouts()` over sessions that are already open (session i of every batch is `sessions[i]`), so
 * a batch measures the per-step path (episode loop, rollouts' work queue and merge), not connects.
 */
function rolloutBatch(sessions: readonly EchoSession[], episodesEach: number): Promise<number> {
  let next = 0;
  const session$ = defer(() => of(sessions[next++ % sessions.length]!));
  const steps$ = rollouts(session$, () => ECHO_ACTION, { sessions: sessions.length, episodes: sessions.length * episodesEach, maxSteps: EPISODE_STEPS });
  return lastValueFrom(steps$.pipe(countSteps()));
}

/**
 * Section `parallel`: N = 1, 8, 32, 64 typed echo sessions stepping at once against our server
 * processes (16 sessions to a process), three ways: `rollouts()` (the episode loop with a
 * synchronous policy), N plain sessions looping `reset` + `step` by hand, and N bare `ws` sockets
 * sending the same frames (a reset with a fresh episode id, then 100 steps, each frame sent on the
 * previous answer). Aggregate steps/s as ratios to the bare sockets, and client CPU per step.
 */
export async function parallel(config: BenchConfig): Promise<SectionResult> {
  const servers = await startServers(Math.ceil(LEVELS.at(-1)! / PER_SERVER));
  const rows: Row[] = [];
  const worst: number[] = [];
  const episodeCounts: number[] = [];
  try {
    for (const n of LEVELS) {
      const urls = Array.from({ length: n }, (_, i) => servers[Math.floor(i / PER_SERVER)]!.url);
      const bare = await openBareFleet(urls, ECHO_ACTION);
      const opened: Array<OpenSession<typeof ECHO_ACTION, unknown, unknown>> = [];
      for (const url of urls) opened.push(await openSession(Echo.connect(url, { transport: 'ws' })));
      const plain = opened.slice(0, n);
      for (const url of urls) opened.push(await openSession(Echo.connect(url, { transport: 'ws' })));
      const forRollouts = opened.slice(n).map((o) => o.session);
      await Promise.all(opened.map((o) => firstValueFrom(o.session.reset())));
      // Each batch holds at least ~4000 steps in total and two episodes per session, and lasts about fleetBatchMs.
      const minEpisodes = Math.max(2, Math.round(Math.max(config.parallelSteps, n * 200) / n / (EPISODE_STEPS + 1)));
      const episodesEach = config.fleetBatchMs > 0 ? await calibrate((e) => bare.episodes(e, EPISODE_STEPS), minEpisodes, config.fleetBatchMs, minEpisodes, 50 * minEpisodes) : minEpisodes;
      episodeCounts.push(episodesEach);
      const samples = await interleave(fleetRounds(config, 3), {
        bare: () => bare.episodes(episodesEach, EPISODE_STEPS),
        plain: async () => (await Promise.all(plain.map((p) => sessionEpisodes(p.session, ECHO_ACTION, episodesEach, EPISODE_STEPS)))).reduce((a, b) => a + b, 0),
        rollouts: () => rolloutBatch(forRollouts, episodesEach),
      });
      for (const o of opened) await o.close();
      await bare.close();
      const { rolloutRatio, plainRatio, columns } = versusBare(samples);
      worst.push(Math.max(rolloutRatio, plainRatio));
      rows.push({ N: n, servers: Math.ceil(n / PER_SERVER), ...columns });
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  const headline = Math.max(...worst);
  return {
    id: 'parallel',
    title: 'rollouts() and plain sessions vs N bare ws clients',
    status: 'ok',
    baseline: 'N bare `ws` sockets on the same server processes, same frames (reset + 100 steps per episode)',
    ratio: round(headline),
    target: TARGET,
    met: headline <= TARGET,
    rows,
    notes: [
      `Headline: the worst time ratio (rollouts or plain sessions / bare) over N; target ≤ ${TARGET}, i.e. ≥ 0.9× the bare steps/s. Columns "vs bare" are throughput ratios (≥ 0.9 wanted).`,
      `${fleetRounds(config, 3)} interleaved rounds per N (the order rotating: each contender runs first, second and third equally often); each batch is ${episodeCounts.join(', ')} episodes (N = ${LEVELS.join(', ')}) of one reset + ${EPISODE_STEPS} steps per session${config.fleetBatchMs > 0 ? `, sized so that a bare batch lasts about ${config.fleetBatchMs} ms (at least 2 episodes and ~max(${config.parallelSteps}, 200 N) steps)` : ''}. Typed echo sessions (zod action and observation schemas), opened before the batches (a batch measures steps, not connects); rollouts() gets them from a session$ that hands them out in turn.`,
      `${PER_SERVER} sessions per server process (N = 32, 64: 2, 4 processes); the client and the servers share the machine's cores, so client CPU per step decides throughput.`,
    ],
  };
}

/** Levels of the straight-from-connect shape (the issue measured it at 8 and 32). */
export const CONNECT_LEVELS = [8, 32] as const;
/** Steps per episode of that shape: long episodes, one per session, as a user's first rollout. */
const LONG_EPISODE_STEPS = 750;

/**
 * Section `parallel-connect`: the shape a newcomer writes first. An untyped `defineEnv({ name:
 * 'echo' })` (no schemas), sessions taken straight from `Env.connect(url, { transport: 'ws' })` by
 * `rollouts(..., { sessions: N, episodes: N })` (each session connects, runs one long episode with a
 * constant policy, closes), against ONE server process; vs N bare `ws` sockets that connect, run the
 * same frames (a reset, then the steps) and close, and N plain sessions from the same `connect`
 * stepping by hand. Every contender's batch includes its connects and closes.
 */
export async function parallelConnect(config: BenchConfig): Promise<SectionResult> {
  const Untyped = defineEnv({ name: 'echo' });
  const steps = config.smoke ? 50 : LONG_EPISODE_STEPS;
  const server = await startChildServer(BUILTIN_SERVER, ['echo'], { MAX_CONCURRENT_ENVS: String(CONNECT_LEVELS.at(-1)! * 3) });
  const rounds = config.smoke ? 1 : Math.max(3, Math.round(config.fleetRounds / 4 / 3) * 3);
  const rows: Row[] = [];
  const worst: number[] = [];
  try {
    for (const n of CONNECT_LEVELS) {
      const session$ = Untyped.connect(server.url, { transport: 'ws' });
      const samples = await interleave(rounds, {
        bare: async () => {
          const bare = await openBareFleet(Array.from({ length: n }, () => server.url), ECHO_ACTION);
          try {
            return await bare.episodes(1, steps);
          } finally {
            await bare.close();
          }
        },
        plain: async () => {
          const opened = await Promise.all(Array.from({ length: n }, () => openSession(session$)));
          try {
            return (await Promise.all(opened.map((o) => sessionEpisodes(o.session, ECHO_ACTION, 1, steps)))).reduce((a, b) => a + b, 0);
          } finally {
            await Promise.all(opened.map((o) => o.close()));
          }
        },
        rollouts: () => lastValueFrom(rollouts(session$, () => ECHO_ACTION, { sessions: n, episodes: n, maxSteps: steps }).pipe(countSteps())),
      });
      const { rolloutRatio, columns } = versusBare(samples);
      worst.push(rolloutRatio);
      rows.push({ N: n, ...columns });
    }
  } finally {
    await server.stop();
  }
  const headline = Math.max(...worst);
  return {
    id: 'parallel-connect',
    title: 'rollouts() straight from connect (untyped, long episodes) vs N bare ws clients',
    status: 'ok',
    baseline: `N bare \`ws\` sockets that connect, run a reset + ${steps} steps and close, on the same server process`,
    ratio: round(headline),
    target: TARGET,
    met: headline <= TARGET,
    rows,
    notes: [
      `Headline: the worst time ratio of rollouts() / bare over N = ${CONNECT_LEVELS.join(', ')}; target ≤ ${TARGET}, i.e. ≥ 0.9× the bare steps/s. Plain sessions are shown, not judged.`,
      `${rounds} interleaved rounds per N; one batch is N sessions (sockets) each connecting, running ONE episode of a reset + ${steps} steps with a constant action, and closing: connects and closes are inside every contender's time.`,
      "Untyped `defineEnv({ name: 'echo' })` (no zod schemas), `Env.connect(url, { transport: 'ws' })` handed to `rollouts(session$, policy, { sessions: N, episodes: N, maxSteps })` as is; one server process for every N.",
    ],
  };
}
