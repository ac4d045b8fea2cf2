/**
 * An "LLM-style" tool-calling agent over the generation-H echo env (`echo_mcp`): a stub model that
 * answers after a simulated latency lists the tools first, then calls them, sometimes with a
 * hallucinated tool name or wrong arguments; it reads the tool error from the observation and
 * corrects itself on the next turn. Every turn is an ordinary episode step, so `rollouts`,
 * `episodeStats` and `recordTrajectory` work unchanged, over parallel sessions.
 *
 * Run: `npx tsc -p tsconfig.json && node dist-all/examples/llm-tool-agent.js
 * [--url http://127.0.0.1:8000] [--sessions 2] [--episodes 4] [--turns 8] [--seed 0]`.
 * Without `--url` (or `OPENENV_URL`) it serves the built-in `echo_mcp` in this process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { z } from 'zod';
import {
  awaitRuntimeTeardowns,
  defineEnv,
  episodeStats,
  inProcessEndpoint,
  rollouts,
  summarize,
  type EpisodeStats,
  type EpisodeStep,
  type StatsSummary,
} from '../src/index.js';
import { seededRandom } from './seeded-random.js';
import { echoMcpEnv } from '../src/server/index.js';

/** The tools as the client knows them: `Echo.toolCall` builds typed call_tool actions. */
const Echo = defineEnv({
  name: 'echo_mcp',
  tools: {
    echo_message: z.object({ message: z.string() }),
    echo_with_length: z.object({ message: z.string() }),
  },
});
/** The sessions are untyped on purpose: a hallucinated tool call must reach the env, which reports it. */
const Sessions = defineEnv({ name: 'echo_mcp' });

type Action = Record<string, unknown>;
type Observation = Record<string, unknown>;

export interface ToolAgentOptions {
  url?: string;
  sessions?: number;
  episodes?: number;
  /** Model turns per episode (the echo env never ends an episode by itself). */
  turns?: number;
  seed?: number;
  /** The model answers after a uniform delay in [min, max] ms. */
  latencyMs?: [number, number];
  /** How often the model hallucinates a tool name or arguments. */
  mistakeRate?: number;
}

export interface ToolAgentResult {
  stats: EpisodeStats[];
  summary: StatsSummary;
  /** Tool calls the model made, tool errors the env reported, and errors followed by a successful call. */
  toolCalls: number;
  toolErrors: number;
  recovered: number;
  /** The first turn of every episode was a list_tools step. */
  listedFirst: boolean;
  maxConcurrentModelCalls: number;
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];

/**
 * @example
 * const { toolCalls, toolErrors, recovered } = await main({ sessions: 2, episodes: 4, turns: 6 });
 */
export async function main(options: ToolAgentOptions = {}): Promise<ToolAgentResult> {
  const { url, sessions = 2, episodes = 4, turns = 8, seed = 0, latencyMs = [5, 20], mistakeRate = 0.25 } = options;
  const random = seededRandom(seed);
  let inFlight = 0;
  let maxConcurrentModelCalls = 0;

  // The stub "model": it decides from the last observation only, as a chat model reads a tool result.
  const model = async (observation: Observation, last: EpisodeStep<Action, Observation>): Promise<Action> => {
    inFlight += 1;
    maxConcurrentModelCalls = Math.max(maxConcurrentModelCalls, inFlight);
    try {
      await sleep(latencyMs[0] + random() * (latencyMs[1] - latencyMs[0]));
      if (last.kind === 'reset') return { type: 'list_tools' };
      const message = WORDS[Math.floor(random() * WORDS.length)]!;
      if (observation['error']) return Echo.toolCall('echo_message', { message }); // read the error, correct the call
      if (random() < mistakeRate) {
        return random() < 0.5
          ? Sessions.toolCall('echo', { message }) // a tool that does not exist
          : Sessions.toolCall('echo_with_length', { text: message }); // the wrong argument name
      }
      return random() < 0.5 ? Echo.toolCall('echo_message', { message }) : Echo.toolCall('echo_with_length', { message });
    } finally {
      inFlight -= 1;
    }
  };

  let toolCalls = 0;
  let toolErrors = 0;
  let recovered = 0;
  let listedFirst = true;
  const failedBefore = new Map<string, boolean>();
  const session$ = url ? Sessions.connect(url) : Sessions.fromEndpoint(inProcessEndpoint(echoMcpEnv, { maxSessions: sessions }));
  try {
    const stats = await lastValueFrom(
      rollouts(session$, model, { sessions, episodes, seed, maxSteps: turns, ...(url && { retryOnCapacity: { maxRetries: 20, delayMs: 500 } }) }).pipe(
        tap((step) => {
          if (step.kind === 'reset') return;
          if (step.index === 1 && step.action?.['type'] !== 'list_tools') listedFirst = false;
          if (step.action?.['type'] !== 'call_tool') return;
          toolCalls += 1;
          const failed = Boolean(step.observation['error']);
          if (failed) toolErrors += 1;
          else if (failedBefore.get(step.episodeId)) recovered += 1;
          failedBefore.set(step.episodeId, failed);
        }),
        episodeStats(),
        toArray(),
      ),
    );
    return { stats, summary: summarize(stats), toolCalls, toolErrors, recovered, listedFirst, maxConcurrentModelCalls };
  } finally {
    await awaitRuntimeTeardowns();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      sessions: { type: 'string', default: '2' },
      episodes: { type: 'string', default: '4' },
      turns: { type: 'string', default: '8' },
      seed: { type: 'string', default: '0' },
    },
  });
  main({
    url: values.url ?? process.env['OPENENV_URL'],
    sessions: Number(values.sessions),
    episodes: Number(values.episodes),
    turns: Number(values.turns),
    seed: Number(values.seed),
  }).then(
    ({ summary, toolCalls, toolErrors, recovered, maxConcurrentModelCalls }) => {
      console.table([{ episodes: summary.episodes, 'mean length': summary.length.mean, toolCalls, toolErrors, recovered, maxConcurrentModelCalls }]);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
