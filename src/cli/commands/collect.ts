import { Option, type Command } from 'commander';
import { filter, fromEvent, lastValueFrom, map, merge, take, tap } from 'rxjs';
import { collect, type CollectSummary } from '../../fleet/collect.js';
import { explainRejectedAction } from '../../policies/explain-rejected-action.js';
import { awaitRuntimeTeardowns } from '../../runtime/teardown-registry.js';
import { deferredSchema, requestSchema } from '../action-schema.js';
import { loadCliPolicy } from '../cli-policy.js';
import { interruptExitCode, type StopSignal } from '../interrupt-exit-code.js';
import { CollectProgressBar } from '../collect/collect-progress.js';
import { renderCollectSummary } from '../collect/collect-report.js';
import { collectTarget } from '../collect/collect-source.js';
import { parseIntArg, type Io } from '../io.js';
import { addPolicyOptions, type PolicyFlags } from '../options/policy-options.js';
import { addTargetOptions, DEFAULT_ENV, type TargetFlags } from '../options/target-options.js';
import { sessionsForTarget } from '../stateful-server-sessions.js';

interface CollectFlags extends TargetFlags, PolicyFlags {
  episodes: number;
  sessions: number;
  out: string;
  resume?: boolean;
  forceResume?: boolean;
  shardSize?: number;
  episodeIdPrefix?: string;
  reward?: 'sum' | 'final';
  sessionsPerServer?: number;
  reprobeMs?: number;
  replyTimeout?: number;
  json?: boolean;
}

/**
 * Failed start rounds in a row before the pool gives up (`ERR_POOL_START`): about 30 s of backoff,
 * for servers the pool starts (--image, --swarm, in-process). A --url server is a fixed source:
 * quarantined and re-probed, the pool gives up after `unplaceableTimeoutMs` (60 s) with no session open.
 */
const CLI_START_RETRIES = 10;

/** `openenv-rx collect`: a dataset of episodes (OpenEnv's `results.jsonl` format) from a pool of parallel sessions. */
export function registerCollect(program: Command, io: Io, signals: NodeJS.EventEmitter = process): void {
  const command = program
    .command('collect')
    .description('collect episodes over a pool of parallel sessions into DIR/results.jsonl (OpenEnv EpisodeRecord lines) with metadata; resumable');
  addTargetOptions(command);
  addPolicyOptions(command);
  command
    .requiredOption('-o, --out <dir>', 'output directory: results.jsonl (or shards), failures.jsonl, metadata.json')
    .option('-n, --episodes <n>', 'episodes planned in DIR (indices 0 .. n-1)', parseIntArg(1), 100)
    .option('-s, --sessions <n>', 'parallel sessions in the pool', parseIntArg(1), 4)
    .option('--resume', 'continue the collection in DIR: skip the episode ids it holds, cut a torn last line, retry failed episodes (refused if env, URL, image, policy, seed, max steps or shard size differ)')
    .option('--force-resume', 'resume even if env, URL, image, policy or max steps differ from DIR/metadata.json (recorded there as forced; never the seed or shard size)')
    .option('--shard-size <n>', 'write episode i to results-<floor(i / n), 5 digits>.jsonl instead of one results.jsonl', parseIntArg(1))
    .option('--episode-id-prefix <prefix>', "ids <prefix>-<i, 6 digits>, as OpenEnv's openenv collect names them (its default prefix: ep); default s<seed>-e<i>")
    .addOption(new Option('--reward <kind>', "a record's reward: sum (the episode's return) or final (the last step's, as OpenEnv's collect records it)").choices(['sum', 'final']).default('sum'))
    .option('--sessions-per-server <n>', 'sessions one server accepts (default: learnt from CAPACITY_REACHED refusals; in-process: --sessions)', parseIntArg(1))
    .option('--reprobe-ms <ms>', 'a capacity learnt while other clients held slots of a --url server is tried again (one session more) this long after (default 60000)', parseIntArg(0))
    .option('--reply-timeout <seconds>', 'fail an episode whose server does not answer a request within this many seconds (default 60)', parseIntArg(1))
    .option('--json', 'print the summary as JSON on stdout (progress still goes to stderr)')
    .addHelpText(
      'after',
      `
Examples:
  openenv-rx collect -o runs/grid -n 1000 -s 8             # ${DEFAULT_ENV}, served in-process
  openenv-rx collect --url http://127.0.0.1:8000 -o runs/a -n 500 --policy ./agent.js
  openenv-rx collect --image my-env:latest -s 8 -o runs/b --shard-size 10000
  openenv-rx collect -o runs/grid -n 1000 -s 8 --resume    # after Ctrl-C, a kill or a crash

Episode i gets the id s<seed>-e<i> (<prefix>-<i, 6 digits> with --episode-id-prefix) and the reset
seed seed + i. --resume also continues a directory OpenEnv's openenv collect wrote (pass
--episode-id-prefix ep so its episodes are skipped). A failed episode (socket dropped,
server died, reply timed out) goes to failures.jsonl and the run goes on; --resume retries it.
Ctrl-C closes every session, writes metadata.json, prints the summary and exits with 130 (143 after SIGTERM).`,
    )
    .action(async (flags: CollectFlags) => {
      const { summary, signal } = await runCollect(flags, io, signals);
      if (summary.status === 'interrupted') io.setExitCode(interruptExitCode(signal ?? 'SIGINT'));
    });
}

async function runCollect(flags: CollectFlags, io: Io, signals: NodeJS.EventEmitter): Promise<{ summary: CollectSummary; signal?: StopSignal }> {
  const schema = deferredSchema();
  const sessions = await sessionsForTarget(flags, flags.sessions, io, 'collect');
  const target = await collectTarget(flags, {
    sessions,
    sessionsPerServer: flags.sessionsPerServer,
    replyTimeoutMs: flags.replyTimeout !== undefined ? flags.replyTimeout * 1000 : undefined,
    io,
    onSession: (session) => requestSchema(session, schema),
  });
  const policy = await loadCliPolicy(flags.policy, schema.promise, flags.seed);
  io.err.write(
    `collect: ${flags.episodes} episodes of ${target.label} over ${sessions} session(s), policy ${flags.policy}, seed ${flags.seed}, max ${flags.maxSteps} steps -> ${flags.out}\n`,
  );
  const progress = new CollectProgressBar(io.err);
  let signal: StopSignal | undefined;
  const stop$ = merge(fromEvent(signals, 'SIGINT').pipe(map(() => 'SIGINT' as const)), fromEvent(signals, 'SIGTERM').pipe(map(() => 'SIGTERM' as const))).pipe(
    take(1),
    tap((received) => (signal = received)),
  );
  let summary: CollectSummary | undefined;
  const run$ = collect(target.source, policy.policy, {
    out: flags.out,
    episodes: flags.episodes,
    sessions,
    seed: flags.seed,
    maxSteps: flags.maxSteps,
    resume: flags.resume ?? false,
    forceResume: flags.forceResume ?? false,
    dataset: datasetOf(flags),
    ...(flags.shardSize !== undefined && { shardSize: flags.shardSize }),
    ...(flags.episodeIdPrefix !== undefined && { episodeIdPrefix: flags.episodeIdPrefix }),
    ...(flags.reward !== undefined && { reward: flags.reward }),
    // 10 failed start rounds (200 ms doubling to 5 s): a started server may fail for ~30 s before the run gives up.
    pool: {
      startRetries: CLI_START_RETRIES,
      ...(target.sessionsPerServer !== undefined && { sessionsPerServer: target.sessionsPerServer }),
      ...(flags.reprobeMs !== undefined && { reprobeMs: flags.reprobeMs }),
    },
    stop$,
    config: { target: target.label, policy: flags.policy },
  }).pipe(
    tap((event) => {
      if (event.type === 'started') {
        const repaired = event.repaired.map((r) => `${r.file}: cut a torn last line (${r.bytes} bytes)`).join('; ');
        io.err.write(`collect: run ${event.run}: ${event.toRun} to run, ${event.alreadyRecorded} already recorded${repaired ? `; ${repaired}` : ''}\n`);
      } else if (event.type === 'recorded' || event.type === 'failed') {
        if (event.type === 'failed') io.err.write(`${progressBreak(io)}collect: episode ${event.episodeId} failed: ${event.error.message}\n`);
        progress.show(event.progress);
      } else summary = event.summary;
    }),
    filter(() => false),
  );
  try {
    await lastValueFrom(run$, { defaultValue: undefined });
  } catch (error) {
    const episodeId = (error as { context?: { episodeId?: string } }).context?.episodeId;
    throw explainRejectedAction(error, schema.current() ?? {}, policy.lastAction(episodeId)) ?? error;
  } finally {
    progress.finish();
    // Containers and servers stop asynchronously after unsubscribe: wait, so nothing outlives the command.
    await awaitRuntimeTeardowns();
    if (summary) io.out.write(flags.json ? `${JSON.stringify({ target: target.label, ...summary, elapsedMs: withoutFloatNoise(summary.elapsedMs), meanReturn: withoutFloatNoise(summary.meanReturn) }, null, 2)}\n` : renderCollectSummary(summary, target.label));
  }
  return { summary: summary!, ...(signal && { signal }) };
}

/**
 * What defines the dataset the CLI writes, beside what `collect` records itself (seed, max steps,
 * shard size): where the env runs and which policy acts. `--resume` compares them with DIR's.
 */
function datasetOf(flags: CollectFlags): Record<string, unknown> {
  const served = flags.url === undefined && flags.image === undefined;
  return { env: flags.env ?? (served ? DEFAULT_ENV : null), url: flags.url ?? null, image: flags.image ?? null, policy: flags.policy };
}

/** 12 significant digits: `0.30000000000000004` prints as `0.3`; metadata.json keeps the exact value. */
const withoutFloatNoise = (n: number): number | null => (Number.isFinite(n) ? Number(n.toPrecision(12)) : null);

/** On a TTY the progress line is redrawn in place: end it before a message of its own. */
const progressBreak = (io: Io): string => (io.err.isTTY ? '\r\x1b[K' : '');
