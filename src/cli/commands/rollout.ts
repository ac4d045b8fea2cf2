import type { Command } from 'commander';
import { tap } from 'rxjs';
import type { CapacityRetryOptions } from '../../operators/rollouts.js';
import { deferredSchema } from '../action-schema.js';
import { AGENT_MAX_STEPS, loadAgentPolicy, usesAgent } from '../agent-policy.js';
import { loadCliPolicy } from '../cli-policy.js';
import { interruptExitCode } from '../interrupt-exit-code.js';
import { parseIntArg, type Io } from '../io.js';
import { addPolicyOptions, type PolicyFlags } from '../options/policy-options.js';
import { addTargetOptions, DEFAULT_ENV, type TargetFlags } from '../options/target-options.js';
import { renderReport, type RolloutReport } from '../rollout/rollout-report.js';
import { sessionsForTarget } from '../stateful-server-sessions.js';
import { runRollout } from '../rollout/run-rollout.js';
import { targetFromFlags } from '../target-from-flags.js';

export type { RolloutReport, EpisodeRow } from '../rollout/rollout-report.js';

interface RolloutFlags extends TargetFlags, PolicyFlags {
  episodes: number;
  sessions: number;
  out?: string;
  json?: boolean;
  retryCapacity: boolean;
  capacityWait: number;
}

/** How the CLI waits on a full server: 250 ms doubling to 5 s, jittered, for at most `--capacity-wait` s per session. */
function cliCapacityRetry(waitSeconds: number): CapacityRetryOptions {
  return { maxRetries: 10_000, delayMs: 250, backoff: { factor: 2, maxMs: 5_000, jitter: 0.2 }, maxWaitMs: waitSeconds * 1000 };
}

/** `openenv-rx rollout`: episodes over parallel sessions, with progress and a summary. */
export function registerRollout(program: Command, io: Io, signals: NodeJS.EventEmitter = process): void {
  const command = program
    .command('rollout')
    .description('run episodes over parallel sessions and summarise return and length per session and per episode');
  addTargetOptions(command);
  addPolicyOptions(command);
  command
    .option('-n, --episodes <n>', 'total episodes, shared by the sessions', parseIntArg(1), 12)
    .option('-s, --sessions <n>', 'parallel sessions (connections, containers or swarm services)', parseIntArg(1), 3)
    .option('--no-retry-capacity', 'fail at the first CAPACITY_REACHED instead of waiting for a free session slot')
    .option('--capacity-wait <seconds>', 'longest a refused session waits (backing off) for a slot before it gives up', parseIntArg(0), 120)
    .option('-o, --out <file>', 'write JSONL: every step (seed, episode id, action, observation, reward, timing) and one "kind":"episode" row per episode')
    .option('--json', 'print the report as JSON on stdout, with one row per episode (progress still goes to stderr)')
    .addHelpText(
      'after',
      `
Examples:
  openenv-rx rollout                                   # ${DEFAULT_ENV}, served in-process
  openenv-rx rollout --url http://127.0.0.1:8000 -n 50 --json > run.json
  openenv-rx rollout --image my-env:latest -s 4 -e LOG_LEVEL=debug --pull if-missing
  DOCKER_HOST=tcp://manager:2376 DOCKER_TLS_VERIFY=1 openenv-rx rollout --swarm --image registry.example/env:1.2 \
      --pull if-missing -s 16 --constraint node.labels.pool==envs --reserve-cpu 1 --limit-memory 1g
  openenv-rx rollout --env ./my-env.js --policy ./my-policy.js --seed 7 -o steps.jsonl

A server at its session limit (CAPACITY_REACHED) is waited on: refused sessions retry with backoff
while the others run; the summary says how many attempts were refused. Ctrl-C closes every session,
removes containers (and swarm services), prints the finished episodes and exits with 130
(143 after SIGTERM).`,
    )
    .action(async (flags: RolloutFlags, cmd: Command) => {
      if (usesAgent(flags) && cmd.getOptionValueSource('maxSteps') === 'default') flags.maxSteps = AGENT_MAX_STEPS;
      const report = await rollout(flags, io, signals);
      io.out.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
      if (report.interrupted) io.setExitCode(interruptExitCode(report.signal ?? 'SIGINT'));
    });
}

async function rollout(flags: RolloutFlags, io: Io, signals: NodeJS.EventEmitter): Promise<RolloutReport> {
  const sessions = await sessionsForTarget(flags, flags.sessions, io, 'rollout');
  const target = await targetFromFlags(flags, { command: 'rollout', sessions, io });
  const schema = deferredSchema();
  const agent = usesAgent(flags) ? loadAgentPolicy(flags, schema.promise) : undefined;
  const policy = agent ?? (await loadCliPolicy(flags.policy, schema.promise, flags.seed));
  const policyName = agent?.label ?? flags.policy;
  io.err.write(
    `rollout: ${flags.episodes} episodes of ${target.label} over ${sessions} session(s), policy ${policyName}, seed ${flags.seed}, max ${flags.maxSteps} steps\n`,
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

