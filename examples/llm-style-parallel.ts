/**
 * An "LLM-style" agent: an async policy that answers after a network-like latency (a Promise),
 * run over N parallel sessions with `rollouts`, so that the waiting overlaps across sessions.
 * Reports episode statistics, how the episodes spread over the sessions, and how many policy
 * calls were in flight at once.
 *
 * Run: `npx tsc -p tsconfig.json && node dist-all/examples/llm-style-parallel.js
 * [--url http://127.0.0.1:8000] [--sessions 4] [--episodes 12] [--seed 0] [--max-steps 50]`.
 * Without `--url` (or `OPENENV_URL`) it starts the built-in grid world in this process, allowing
 * `--sessions` parallel sessions. Real OpenEnv servers often allow ONE session: against those,
 * refused sessions are retried (retryOnCapacity) and the run proceeds as capacity frees up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { lastValueFrom, tap, toArray } from 'rxjs';
import {
  awaitRuntimeTeardowns,
  episodeStats,
  rollouts,
  summarize,
  type EpisodeStats,
  type StatsSummary,
} from '../src/index.js';
import { seededRandom } from './seeded-random.js';
import { gridWorldSessions, MOVES, type Move, type Position } from './grid-world-session.js';

export interface LlmStyleOptions {
  url?: string;
  sessions?: number;
  /** Total, shared by the sessions. */
  episodes?: number;
  seed?: number;
  maxSteps?: number;
  /** The policy answers after a uniform delay in [min, max] ms. */
  latencyMs?: [number, number];
}

export interface LlmStyleResult {
  stats: EpisodeStats[];
  summary: StatsSummary;
  /** Episodes and steps each session ran (a free session takes the next episode). */
  perSession: { sessionIndex: number; episodes: number; steps: number }[];
  policyCalls: number;
  /** The most policy calls awaiting an answer at the same time (> 1: the sessions overlapped). */
  maxConcurrentPolicyCalls: number;
  wallMs: number;
}

/**
 * @example
 * const { summary, maxConcurrentPolicyCalls } = await main({ sessions: 4, episodes: 8 });
 */
export async function main(options: LlmStyleOptions = {}): Promise<LlmStyleResult> {
  const { url, sessions = 4, episodes = 12, seed = 0, maxSteps = 50, latencyMs = [5, 20] } = options;
  const random = seededRandom(seed);
  let policyCalls = 0;
  let inFlight = 0;
  let maxConcurrentPolicyCalls = 0;

  // Mostly heads for the goal (4, 4) like a sensible model would, sometimes "hallucinates" a random move.
  const policy = async (obs: Position): Promise<Move> => {
    policyCalls += 1;
    inFlight += 1;
    maxConcurrentPolicyCalls = Math.max(maxConcurrentPolicyCalls, inFlight);
    try {
      await sleep(latencyMs[0] + random() * (latencyMs[1] - latencyMs[0]));
      if (random() < 0.2) return { action: MOVES[Math.floor(random() * MOVES.length)]! };
      return { action: obs.x < 4 ? 'DOWN' : 'RIGHT' };
    } finally {
      inFlight -= 1;
    }
  };

  const perSession = new Map<number, { sessionIndex: number; episodes: number; steps: number }>();
  const started = performance.now();
  try {
    const stats = await lastValueFrom(
      rollouts(gridWorldSessions(url, sessions), policy, {
        sessions,
        episodes,
        seed,
        maxSteps,
        ...(url && { retryOnCapacity: { maxRetries: 20, delayMs: 500 } }),
      }).pipe(
        tap((step) => {
          const row = perSession.get(step.sessionIndex) ?? { sessionIndex: step.sessionIndex, episodes: 0, steps: 0 };
          if (step.kind === 'reset') row.episodes += 1;
          else row.steps += 1;
          perSession.set(step.sessionIndex, row);
        }),
        episodeStats(),
        toArray(),
      ),
    );
    return {
      stats,
      summary: summarize(stats),
      perSession: [...perSession.values()].sort((a, b) => a.sessionIndex - b.sessionIndex),
      policyCalls,
      maxConcurrentPolicyCalls,
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    await awaitRuntimeTeardowns();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      sessions: { type: 'string', default: '4' },
      episodes: { type: 'string', default: '12' },
      seed: { type: 'string', default: '0' },
      'max-steps': { type: 'string', default: '50' },
    },
  });
  main({
    url: values.url ?? process.env['OPENENV_URL'],
    sessions: Number(values.sessions),
    episodes: Number(values.episodes),
    seed: Number(values.seed),
    maxSteps: Number(values['max-steps']),
  }).then(
    ({ summary, perSession, policyCalls, maxConcurrentPolicyCalls, wallMs }) => {
      console.table(perSession);
      console.table([{ episodes: summary.episodes, goals: summary.done, 'mean return': summary.return.mean.toFixed(2), 'mean length': summary.length.mean.toFixed(1) }]);
      console.log({ policyCalls, maxConcurrentPolicyCalls, wallMs });
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
