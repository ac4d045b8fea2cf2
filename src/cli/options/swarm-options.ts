import { InvalidArgumentError, Option, type Command } from 'commander';
import { CliUsageError } from '../../errors/cli-errors.js';
import type { SwarmEndpointOptions, SwarmResources } from '../../runtime/swarm/swarm-endpoint-options.js';

/** Parsed swarm flags (part of the shared target flags). */
export interface SwarmFlags {
  swarm?: boolean;
  constraint?: string[];
  placementPref?: string[];
  limitCpu?: number;
  limitMemory?: number;
  reserveCpu?: number;
  reserveMemory?: number;
}

/** What the target flags set on `fromSwarmService` / `perSwarmService` (the container env aside). */
export type SwarmFlagOptions = Pick<SwarmEndpointOptions, 'constraints' | 'preferences' | 'resources' | 'pull' | 'token'>;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Cores, as `docker service create --limit-cpu` takes them: a number > 0 (`0.5`, `2`). */
export function parseCpus(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number of cores > 0 (e.g. 0.5 or 2), got "${value}"`);
  return n;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes, as docker's `--limit-memory` takes them: `536870912`, `512m`, `1.5g`, `2GiB` (binary units). */
export function parseMemory(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!) : NaN;
  if (!(bytes >= 1)) throw new InvalidArgumentError(`expected a size such as 512m, 2g or a number of bytes, got "${value}"`);
  return bytes;
}

/**
 * Adds `--swarm` and the placement and resource flags of a swarm service (named as in
 * `docker service create`). The manager is the engine `DOCKER_HOST` names (default: the local one).
 */
export function addSwarmOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--swarm', 'with --image: run each session as a Docker Swarm service of one task (on the manager DOCKER_HOST names), removed when the command ends').conflicts('url'),
    )
    .option('--constraint <expr>', 'with --swarm: a placement constraint, e.g. node.labels.pool==envs; repeatable', collect)
    .option('--placement-pref <pref>', 'with --swarm: spread sessions over the values of a node label, e.g. spread=node.labels.zone; repeatable', collect)
    .option('--limit-cpu <cores>', 'with --swarm: CPU limit of each session, e.g. 1 or 0.5', parseCpus)
    .option('--limit-memory <size>', 'with --swarm: memory limit of each session, e.g. 512m or 2g', parseMemory)
    .option('--reserve-cpu <cores>', 'with --swarm: cores a node must have free to take a session', parseCpus)
    .option('--reserve-memory <size>', 'with --swarm: memory a node must have free to take a session, e.g. 512m', parseMemory);
}

/**
 * The swarm options of the target flags: placement, resources, pull policy and the token
 * (`--token`, else `$OPENENV_TOKEN`, else none: a fresh one per service). Undefined without
 * `--swarm`, and then any swarm flag is an error; `--swarm` without `--image` or with
 * `--pull always` is one too.
 */
export function swarmOptionsFromFlags(flags: SwarmFlags & { image?: string; pull?: string; token?: string }): SwarmFlagOptions | undefined {
  const given = [
    flags.constraint?.length && '--constraint',
    flags.placementPref?.length && '--placement-pref',
    flags.limitCpu !== undefined && '--limit-cpu',
    flags.limitMemory !== undefined && '--limit-memory',
    flags.reserveCpu !== undefined && '--reserve-cpu',
    flags.reserveMemory !== undefined && '--reserve-memory',
  ].filter((f): f is string => typeof f === 'string');
  if (!flags.swarm) {
    if (given.length > 0) throw new CliUsageError(given[0]!, `${given.join(', ')} place swarm services; add --swarm (with --image)`);
    return undefined;
  }
  if (!flags.image) throw new CliUsageError('--swarm', '--swarm runs the --image as swarm services; there is no --image');
  if (flags.pull === 'always') throw new CliUsageError('--pull', '--pull always is not available with --swarm: nodes pull the image themselves (--pull if-missing) or run the manager\'s copy (--pull never)');
  const resources: SwarmResources = {
    ...(flags.limitCpu !== undefined && { cpus: flags.limitCpu }),
    ...(flags.limitMemory !== undefined && { memoryBytes: flags.limitMemory }),
    ...(flags.reserveCpu !== undefined && { reserveCpus: flags.reserveCpu }),
    ...(flags.reserveMemory !== undefined && { reserveMemoryBytes: flags.reserveMemory }),
  };
  const token = flags.token ?? process.env['OPENENV_TOKEN'];
  return {
    pull: flags.pull === 'if-missing' ? 'if-missing' : 'never',
    ...(token && { token }),
    ...(flags.constraint?.length && { constraints: flags.constraint }),
    // Docker's form is `spread=<descriptor>`; spread is the only strategy there is.
    ...(flags.placementPref?.length && { preferences: flags.placementPref.map((p) => p.replace(/^spread=/, '')) }),
    ...(Object.keys(resources).length > 0 && { resources }),
  };
}
