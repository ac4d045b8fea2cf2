import { Option, type Command } from 'commander';
import { parseIntArg, type Io } from '../io.js';
import { addPolicyOptions, type PolicyFlags } from '../options/policy-options.js';
import { addTargetOptions, DEFAULT_ENV, type TargetFlags } from '../options/target-options.js';

/** The parsed flags of `openenv-rx collect`. */
export interface CollectFlags extends TargetFlags, PolicyFlags {
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
    .action(async (flags: CollectFlags, cmd: Command) => {
      // Loaded when the command runs: --version, --help and the other commands never load it.
      const { collectAction } = await import('./collect-action.js');
      await collectAction(flags, io, signals, cmd.getOptionValueSource('maxSteps') === 'default');
    });
}
