import { Option, type Command } from 'commander';
import { firstValueFrom, identity, Observable, tap, toArray } from 'rxjs';
import { episodeStats, type EpisodeStats } from '../../operators/episode-stats.js';
import { recordTrajectory } from '../../operators/record-trajectory.js';
import { rollouts } from '../../operators/rollouts.js';
import { summarize, type StatsSummary } from '../../operators/summarize.js';
import { awaitRuntimeTeardowns } from '../../runtime/teardown-registry.js';
import { ProgressBar } from '../format/progress-bar.js';
import { renderTable } from '../format/table.js';
import { collectHeader, parseIntArg, requestHeaders, type Io } from '../io.js';
import { randomRolloutPolicy } from '../random-rollout-policy.js';
import { rolloutTarget } from '../rollout-target.js';

interface RolloutOptions {
  env: string;
  url?: string;
  image?: string;
  policy: 'random';
  episodes: number;
  sessions: number;
  seed: number;
  maxSteps: number;
  out?: string;
  json?: boolean;
  transport: 'auto' | 'ws' | 'http';
  token?: string;
  header?: string[];
}

/** The rollout's outcome, as `--json` prints it. */
export interface RolloutReport {
  target: string;
  episodes: number;
  sessions: number;
  seed: number;
  steps: number;
  elapsedMs: number;
  stepsPerSecond: number;
  overall: StatsSummary;
  perSession: Array<StatsSummary & { sessionIndex: number }>;
  trajectories?: string;
}

/** `openenv-rx rollout`: random-policy episodes over parallel sessions, with progress and a summary. */
export function registerRollout(program: Command, io: Io, signals: NodeJS.EventEmitter = process): void {
  program
    .command('rollout')
    .description('run episodes over parallel sessions and summarise return and length per session')
    .option('--env <name>', 'built-in env served in-process (ignored with --url/--image, except as a label)', 'grid_world')
    .addOption(new Option('--url <url>', 'an OpenEnv server that is already running').conflicts('image'))
    .option('--image <image>', 'a Docker image to start, one container per session')
    .addOption(new Option('--policy <policy>', 'the agent').choices(['random']).default('random'))
    .option('-n, --episodes <n>', 'total episodes, shared by the sessions', parseIntArg(1), 12)
    .option('-s, --sessions <n>', 'parallel sessions (connections or containers)', parseIntArg(1), 3)
    .option('--seed <n>', 'episode i is reset with seed + i; the policy is seeded too', parseIntArg(0), 0)
    .option('--max-steps <n>', 'cut episodes at this many steps (truncated)', parseIntArg(1), 200)
    .option('-o, --out <file>', 'write every step as JSONL (seed, episode id, action, observation, reward, timing)')
    .addOption(new Option('--transport <kind>', 'wire protocol').choices(['auto', 'ws', 'http']).default('auto'))
    .option('--token <token>', 'bearer token for the server (or OPENENV_TOKEN)')
    .option('-H, --header <name: value>', 'extra request header, repeatable', collectHeader)
    .option('--json', 'print the report as JSON on stdout (progress still goes to stderr)')
    .action(async (opts: RolloutOptions) => {
      const report = await runRollout(opts, io, signals);
      if (!report) return;
      if (opts.json) io.out.write(`${JSON.stringify(report, null, 2)}\n`);
      else io.out.write(renderReport(report));
    });
}

async function runRollout(opts: RolloutOptions, io: Io, signals: NodeJS.EventEmitter): Promise<RolloutReport | undefined> {
  const headers = requestHeaders(opts.header, opts.token ?? process.env['OPENENV_TOKEN']);
  const target = rolloutTarget({
    env: opts.env,
    sessions: opts.sessions,
    ...(opts.url ? { url: opts.url } : {}),
    ...(opts.image ? { image: opts.image } : {}),
    ...(opts.image ? { containerEnv: { OPENENV_ENV: opts.env } } : {}),
    connect: { transport: opts.transport, headers },
  });

  let schemaRequested = false;
  let resolveSchema!: (schema: Record<string, unknown>) => void;
  let rejectSchema!: (error: unknown) => void;
  const actionSchema = new Promise<Record<string, unknown>>((resolve, reject) => {
    resolveSchema = resolve;
    rejectSchema = reject;
  });
  actionSchema.catch(() => undefined); // surfaced through the policy, never unhandled
  const session$ = target.session$.pipe(
    tap((session) => {
      if (schemaRequested) return;
      schemaRequested = true;
      firstValueFrom(session.schema()).then(
        (schema) => resolveSchema(schema.action),
        (error: unknown) =>
          rejectSchema(new Error(`--policy random needs the action schema from GET /schema, which ${session.url} does not serve (a generation-A server?)`, { cause: error })),
      );
    }),
  );

  const progress = new ProgressBar(io.err);
  const started = Date.now();
  let steps = 0;
  let finished = 0;
  const tick = () => progress.update({ done: finished, total: opts.episodes, steps, elapsedMs: Date.now() - started });
  io.err.write(`rollout: ${opts.episodes} episodes of ${target.label} over ${opts.sessions} session(s), seed ${opts.seed}, max ${opts.maxSteps} steps\n`);

  const run$ = rollouts(session$, randomRolloutPolicy(actionSchema, opts.seed), {
    sessions: opts.sessions,
    episodes: opts.episodes,
    seed: opts.seed,
    maxSteps: opts.maxSteps,
  }).pipe(
    tap((step) => {
      if (step.kind === 'step') steps++;
    }),
    opts.out ? recordTrajectory(opts.out) : identity,
    episodeStats(),
    tap(() => {
      finished++;
      tick();
    }),
    toArray(),
  );

  const stats = await runInterruptibly(run$, signals);
  progress.finish();
  // Containers and servers stop asynchronously after unsubscribe: wait, so nothing outlives the command.
  await awaitRuntimeTeardowns();
  if (stats === 'interrupted') {
    io.err.write('rollout: interrupted; sessions closed\n');
    io.setExitCode(130);
    return undefined;
  }
  const elapsedMs = Date.now() - started;
  const bySession = new Map<number, EpisodeStats[]>();
  for (const s of stats) bySession.set(s.sessionIndex ?? 0, [...(bySession.get(s.sessionIndex ?? 0) ?? []), s]);
  return {
    target: target.label,
    episodes: opts.episodes,
    sessions: opts.sessions,
    seed: opts.seed,
    steps,
    elapsedMs,
    stepsPerSecond: elapsedMs > 0 ? Math.round((steps * 1000) / elapsedMs) : 0,
    overall: summarize(stats),
    perSession: [...bySession.entries()].sort(([a], [b]) => a - b).map(([sessionIndex, s]) => ({ sessionIndex, ...summarize(s) })),
    ...(opts.out ? { trajectories: opts.out } : {}),
  };
}

/** Subscribes `run$`; SIGINT/SIGTERM unsubscribes it (closing sessions and containers) instead of killing the process. */
function runInterruptibly<T>(run$: Observable<T>, signals: NodeJS.EventEmitter): Promise<T | 'interrupted'> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      subscription.unsubscribe();
      cleanup();
      resolve('interrupted');
    };
    const cleanup = () => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
    };
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
    const subscription = run$.subscribe({
      next: (value) => {
        cleanup();
        resolve(value);
      },
      error: (error: unknown) => {
        cleanup();
        reject(error);
      },
    });
  });
}

function renderReport(report: RolloutReport): string {
  const row = (label: string | number, s: StatsSummary) => [
    String(label),
    s.episodes,
    s.return.mean,
    s.return.std,
    s.return.min,
    s.return.max,
    s.length.mean,
    s.length.std,
    s.length.min,
    s.length.max,
    s.truncated,
  ];
  const table = renderTable(
    ['session', 'episodes', 'return mean', 'std', 'min', 'max', 'length mean', 'std', 'min', 'max', 'truncated'],
    [...report.perSession.map((s) => row(s.sessionIndex, s)), row('all', report.overall)],
  );
  const footer = `${report.steps} steps in ${(report.elapsedMs / 1000).toFixed(2)} s (${report.stepsPerSecond} steps/s)${report.trajectories ? `; trajectories in ${report.trajectories}` : ''}`;
  return `\n${report.target}\n\n${table}\n\n${footer}\n`;
}
