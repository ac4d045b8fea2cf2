import type { Command } from 'commander';
import { parseIntArg, type Io } from '../io.js';
import { addPolicyOptions, type PolicyFlags } from '../options/policy-options.js';
import { addTargetOptions, DEFAULT_ENV, type TargetFlags } from '../options/target-options.js';

export type { RolloutReport, EpisodeRow } from '../rollout/rollout-report.js';

export interface RolloutFlags extends TargetFlags, PolicyFlags {
  episodes: number;
  sessions: number;
  out?: string;
  json?: boolean;
  retryCapacity: boolean;
  capacityWait: number;
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
(143 after SIGTERM). An error that stops the run (e.g. its server died for good) prints the
summary of the episodes that ended, marked partial, then the error, and exits with 1.`,
    )
    .action(async (flags: RolloutFlags, cmd: Command) => {
      // Loaded when the command runs: --version, --help and the other commands never load it.
      const { rolloutAction } = await import('./rollout-action.js');
      await rolloutAction(flags, io, signals, cmd.getOptionValueSource('maxSteps') === 'default');
    });
}
