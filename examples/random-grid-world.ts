/**
 * A random agent on the grid world: N episodes one after another on ONE session, every step
 * written to a JSONL trajectory (optional), one statistics row per episode, and a summary.
 *
 * Run (Node 20 runs compiled JS): `npx tsc -p tsconfig.json && node dist-all/examples/random-grid-world.js
 * [--url http://127.0.0.1:8000] [--episodes 10] [--seed 0] [--max-steps 100] [--trajectory run.jsonl]`.
 * Without `--url` (or `OPENENV_URL`) it starts the built-in grid world in this process.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { concatAll, identity, lastValueFrom, toArray } from 'rxjs';
import {
  awaitRuntimeTeardowns,
  episodeStats,
  recordTrajectory,
  stepTimeout,
  summarize,
  withSession,
  type EpisodeStats,
  type StatsSummary,
} from '../src/index.js';
import { seededRandom } from './seeded-random.js';
import { gridWorldSessions, MOVES, type Move } from './grid-world-session.js';

export interface RandomGridWorldOptions {
  /** A running server; default: the built-in grid world, in process. */
  url?: string;
  episodes?: number;
  /** Episode i is reset with seed + i; the agent's own choices are seeded with it too. */
  seed?: number;
  maxSteps?: number;
  /** Write every step there as JSONL. */
  trajectoryPath?: string;
}

export interface RandomGridWorldResult {
  stats: EpisodeStats[];
  summary: StatsSummary;
}

/**
 * @example
 * const { summary } = await main({ episodes: 5, seed: 1 });
 * console.log(summary.return.mean, summary.done); // mean return, episodes that reached the goal
 */
export async function main(options: RandomGridWorldOptions = {}): Promise<RandomGridWorldResult> {
  const { url, episodes = 10, seed = 0, maxSteps = 100, trajectoryPath } = options;
  const random = seededRandom(seed);
  const policy = (): Move => ({ action: MOVES[Math.floor(random() * MOVES.length)]! });

  try {
    const stats = await lastValueFrom(
      gridWorldSessions(url).pipe(
        // Episodes run one after another; the session is closed when the last one completed.
        withSession((env) => env.episodes(policy, { count: episodes, seed, maxSteps }).pipe(concatAll())),
        stepTimeout(10_000, { env: 'grid_world' }),
        trajectoryPath ? recordTrajectory(trajectoryPath) : identity,
        episodeStats(),
        toArray(),
      ),
    );
    return { stats, summary: summarize(stats) };
  } finally {
    // The in-process server closes asynchronously after unsubscribe: wait so the port is free.
    await awaitRuntimeTeardowns();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      episodes: { type: 'string', default: '10' },
      seed: { type: 'string', default: '0' },
      'max-steps': { type: 'string', default: '100' },
      trajectory: { type: 'string' },
    },
  });
  main({
    url: values.url ?? process.env['OPENENV_URL'],
    episodes: Number(values.episodes),
    seed: Number(values.seed),
    maxSteps: Number(values['max-steps']),
    ...(values.trajectory && { trajectoryPath: values.trajectory }),
  }).then(
    ({ stats, summary }) => {
      console.table(stats.map(({ episodeIndex, seed, return: ret, length, done }) => ({ episodeIndex, seed, return: ret.toFixed(2), length, done })));
      console.log(summary);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
