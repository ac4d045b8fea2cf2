import { filter, fromEvent, lastValueFrom, map, merge, take, tap } from 'rxjs';
import { collect, type CollectSummary } from '../../fleet/collect.js';
import { awaitRuntimeTeardowns } from '../../runtime/teardown-registry.js';
import { deferredSchema, requestSchema } from '../action-schema.js';
import { AGENT_MAX_STEPS, loadAgentPolicy, usesAgent, type CliAgent } from '../agent-policy.js';
import { loadCliPolicy } from '../cli-policy.js';
import { cliErrorParts } from '../cli-error-message.js';
import { CollectProgressBar } from '../collect/collect-progress.js';
import { renderCollectSummary } from '../collect/collect-report.js';
import { collectTarget } from '../collect/collect-source.js';
import { plural } from '../format/plural.js';
import { interruptExitCode, type StopSignal } from '../interrupt-exit-code.js';
import type { Io } from '../io.js';
import { DEFAULT_ENV } from '../options/target-options.js';
import { sessionsForTarget } from '../stateful-server-sessions.js';
import { SparklineSampler } from '../../report/sparkline.js';
import type { CollectFlags } from './collect.js';

/**
 * Failed start rounds in a row before the pool gives up (`ERR_POOL_START`): about 30 s of backoff,
 * for servers the pool starts (--image, --swarm, in-process). A --url server is a fixed source:
 * quarantined and re-probed, the pool gives up after `unplaceableTimeoutMs` (60 s) with no session open.
 */
const CLI_START_RETRIES = 10;

/** What `openenv-rx collect` does once its flags are parsed (imported when it runs, see `registerCollect`). */
export async function collectAction(flags: CollectFlags, io: Io, signals: NodeJS.EventEmitter, maxStepsIsDefault = false): Promise<void> {
  // An agent's episode is a conversation: OpenEnv's --max-turns default, unless --max-steps was given.
  if (usesAgent(flags) && maxStepsIsDefault) flags.maxSteps = AGENT_MAX_STEPS;
  const { summary, signal } = await runCollect(flags, io, signals);
  if (summary.status === 'interrupted') io.setExitCode(interruptExitCode(signal ?? 'SIGINT'));
}

async function runCollect(flags: CollectFlags, io: Io, signals: NodeJS.EventEmitter): Promise<{ summary: CollectSummary; signal?: StopSignal }> {
  const schema = deferredSchema();
  const sessions = await sessionsForTarget(flags, flags.sessions, io, 'collect');
  const agent: CliAgent | undefined = usesAgent(flags) ? loadAgentPolicy(flags, schema.promise) : undefined;
  const target = await collectTarget(flags, {
    sessions,
    sessionsPerServer: flags.sessionsPerServer,
    replyTimeoutMs: flags.replyTimeout !== undefined ? flags.replyTimeout * 1000 : undefined,
    io,
    onSession: (session) => {
      requestSchema(session, schema);
      agent?.onSession(session);
    },
  });
  const policy = agent ?? (await loadCliPolicy(flags.policy, schema.promise, flags.seed));
  const policyLabel = agent?.label ?? flags.policy;
  io.err.write(
    // The pool opens no more sessions than there are episodes to run.
    `collect: ${plural(flags.episodes, 'episode')} of ${target.label} over ${plural(Math.min(sessions, flags.episodes), 'session')}, policy ${policyLabel}, seed ${flags.seed}, max ${flags.maxSteps} steps -> ${flags.out}\n`,
  );
  const progress = new CollectProgressBar(io.err);
  const returns = new SparklineSampler();
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
    dataset: { ...datasetOf(flags), ...(agent && { policy: agent.label, ...agent.dataset }) },
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
    config: { target: target.label, policy: policyLabel },
  }).pipe(
    tap((event) => {
      if (event.type === 'started') {
        const repaired = event.repaired.map((r) => `${r.file}: cut a torn last line (${r.bytes} bytes)`).join('; ');
        io.err.write(`collect: run ${event.run}: ${event.toRun} to run, ${event.alreadyRecorded} already recorded${repaired ? `; ${repaired}` : ''}\n`);
      } else if (event.type === 'recorded' || event.type === 'failed') {
        if (event.type === 'recorded') returns.add(event.return);
        if (event.type === 'failed') progress.note(`collect: episode ${event.episodeId} failed: ${event.error.message}`);
        progress.show(event.progress);
      } else summary = event.summary;
    }),
    filter(() => false),
  );
  let failure: { error: unknown } | undefined;
  try {
    await lastValueFrom(run$, { defaultValue: undefined });
  } catch (error) {
    failure = { error: policy.explainRejection(error, schema.current()) ?? error };
    throw failure.error;
  } finally {
    progress.finish();
    // Containers and servers stop asynchronously after unsubscribe: wait, so nothing outlives the command.
    await awaitRuntimeTeardowns();
    // The summary first, then (thrown above) the error on stderr; JSON carries that error too.
    const error = failure && (({ code, message }) => ({ code, message }))(cliErrorParts(failure.error));
    if (summary) io.out.write(flags.json ? `${JSON.stringify({ target: target.label, ...summary, elapsedMs: withoutFloatNoise(summary.elapsedMs), meanReturn: withoutFloatNoise(summary.meanReturn), ...(error && { error }) }, null, 2)}\n` : renderCollectSummary(summary, target.label, returns, error?.code));
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
