import { Option, type Command } from 'commander';
import { CliUsageError } from '../../errors/cli-errors.js';
import { collectEnvVar, collectHeader, containerEnv, requestHeaders } from '../io.js';
import { addK8sOptions, type K8sFlags } from './k8s-options.js';
import { addSwarmOptions, type SwarmFlags } from './swarm-options.js';

/** What `--pull` accepts (as the runtime's `pull` option). */
export const PULL_POLICIES = ['never', 'if-missing', 'always'] as const;
export type CliPullPolicy = (typeof PULL_POLICIES)[number];

/** The built-in env served when neither --url nor --image nor --env is given. */
export const DEFAULT_ENV = 'grid_world';

/** Parsed target flags (shared by every command that runs episodes). */
export interface TargetFlags extends SwarmFlags, K8sFlags {
  env?: string;
  url?: string;
  image?: string;
  pull: CliPullPolicy;
  envVar?: string[];
  transport: 'auto' | 'ws' | 'http';
  token?: string;
  header?: string[];
}

/**
 * Adds where the episodes run and how to reach it: `--env`, `--url`, `--image`, `--pull`, `-e`,
 * `--swarm` and its placement flags, `--transport`, `--token`, `-H`. Shared so that every
 * episode-running command reads the same (resolve them with `targetFromFlags`).
 */
export function addTargetOptions(command: Command): Command {
  command
    .option(
      '--env <name|./env.js>',
      `env to serve in-process: a built-in name or an ES module exporting an env definition (default ${DEFAULT_ENV}). ` +
        'With --image it is passed to the container as OPENENV_ENV (openenv-rx images serve that built-in); with --url it only labels the output',
    )
    .addOption(new Option('--url <url>', 'an OpenEnv server that is already running (e.g. http://127.0.0.1:8000)').conflicts('image'))
    .option('--image <image>', 'a Docker image to start, one container per session (with --swarm: one swarm service per session), removed when the command ends')
    .addOption(new Option('--pull <policy>', 'with --image: never (the image must be local), if-missing, or always pull').choices(PULL_POLICIES).default('never'))
    .option('-e, --env-var <KEY=VALUE>', 'with --image: an environment variable of the containers, repeatable', collectEnvVar);
  addSwarmOptions(command);
  addK8sOptions(command);
  return command
    .addOption(new Option('--transport <kind>', 'wire protocol: auto (WebSocket when the server has /ws), ws, http').choices(['auto', 'ws', 'http']).default('auto'))
    .option('--token <token>', 'bearer token for the server (default: $OPENENV_TOKEN); with --swarm, the token every service requires (default: a fresh one per service)')
    .option('-H, --header <name: value>', 'extra request header, repeatable', collectHeader);
}

/**
 * Headers and container env of the flags; malformed `-H`/`-e` pairs and flags that need `--image`
 * without it fail here (`CliUsageError`) without echoing values.
 */
export function targetRequest(flags: TargetFlags): { headers: Record<string, string>; containerEnv: Record<string, string> } {
  if (flags.envVar?.length && !flags.image) throw new CliUsageError('-e', '-e/--env-var sets variables of containers started with --image; there is no --image');
  // --pull defaults to never, so a value other than that was typed: it would be silently ignored.
  if (flags.pull !== 'never' && !flags.image) throw new CliUsageError('--pull', '--pull pulls the --image before it starts; there is no --image');
  return {
    headers: requestHeaders(flags.header, flags.token ?? process.env['OPENENV_TOKEN']),
    containerEnv: {
      ...(flags.image && flags.env !== undefined ? { OPENENV_ENV: flags.env } : {}),
      ...containerEnv(flags.envVar),
    },
  };
}
