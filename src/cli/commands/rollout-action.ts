import { tap } from 'rxjs';
import type { CapacityRetryOptions } from '../../operators/rollouts.js';
import { deferredSchema } from '../action-schema.js';
import { AGENT_MAX_STEPS, loadAgentPolicy, usesAgent } from '../agent-policy.js';
import { loadCliPolicy } from '../cli-policy.js';
import { plural } from '../format/plural.js';
import { interruptExitCode } from '../interrupt-exit-code.js';
import type { Io } from '../io.js';
import { renderReport } from '../rollout/rollout-report.js';
import { runRollout, type RolloutOutcome } from '../rollout/run-rollout.js';
import { sessionsForTarget } from '../stateful-server-sessions.js';
import { targetFromFlags } from '../target-from-flags.js';
import type { RolloutFlags } from './rollout.js';

/** How the CLI waits on a full server: 250 ms doubling to 5 s, jittered, for at most `--capacity-wait` s per session. */
function cliCapacityRetry(waitSeconds: number): CapacityRetryOptions {
  return { maxRetries: 10_000, delayMs: 250, backoff: { factor: 2, maxMs: 5_000, jitter: 0.2 }, maxWaitMs: waitSeconds * 1000 };
}

/** What `openenv-rx rollout` does once its flags are parsed (imported when it runs, see `registerRollout`). */
export async function rolloutAction(flags: RolloutFlags, io: Io, signals: NodeJS.EventEmitter, maxStepsIsDefault = false): Promise<void> {
  // An agent's episode is a conversation: OpenEnv's --max-turns default, unless --max-steps was given.
  if (usesAgent(flags) && maxStepsIsDefault) flags.maxSteps = AGENT_MAX_STEPS;
  const { report, error } = await rollout(flags, io, signals);
  // A run that failed before any episode ended has nothing to summarise: only its error is printed.
  if (error !== undefined && report.overall.episodes === 0) throw error;
  io.out.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  // The summary of what ended first, then the error on stderr (exit 1), as for any failed command.
  if (error !== undefined) throw error;
  if (report.interrupted) io.setExitCode(interruptExitCode(report.signal ?? 'SIGINT'));
}

async function rollout(flags: RolloutFlags, io: Io, signals: NodeJS.EventEmitter): Promise<RolloutOutcome> {
  const sessions = await sessionsForTarget(flags, flags.sessions, io, 'rollout');
  const target = await targetFromFlags(flags, { command: 'rollout', sessions, io });
  const schema = deferredSchema();
  const agent = usesAgent(flags) ? loadAgentPolicy(flags, schema.promise) : undefined;
  const policy = agent ?? (await loadCliPolicy(flags.policy, schema.promise, flags.seed));
  const policyName = agent?.label ?? flags.policy;
  io.err.write(
    // Only as many sessions open as there are episodes to share.
    `rollout: ${plural(flags.episodes, 'episode')} of ${target.label} over ${plural(Math.min(sessions, flags.episodes), 'session')}, policy ${policyName}, seed ${flags.seed}, max ${flags.maxSteps} steps\n`,
  );
  return runRollout({
    target: agent ? { ...target, session$: target.session$.pipe(tap((session) => agent.onSession(session))) } : target,
    policyName,
    policy,
    schema,
    episodes: flags.episodes,
    sessions,
    seed: flags.seed,
    maxSteps: flags.maxSteps,
    ...(flags.out ? { out: flags.out } : {}),
    ...(flags.retryCapacity ? { retryOnCapacity: cliCapacityRetry(flags.capacityWait) } : {}),
    io,
    signals,
  });
}
