import { PullProgress } from './format/pull-progress.js';
import type { Io } from './io.js';
import { loadEnvDefinition } from './load-env-definition.js';
import { k8sOptionsFromFlags } from './options/k8s-options.js';
import { swarmOptionsFromFlags } from './options/swarm-options.js';
import { DEFAULT_ENV, targetRequest, type TargetFlags } from './options/target-options.js';
import { rolloutTarget, type RolloutTarget } from './rollout-target.js';

export interface TargetFromFlagsOptions {
  /** The command's name, prefixing what it reports on stderr (`rollout: pulling ...`). */
  command: string;
  /** Parallel sessions: an in-process server accepts that many. */
  sessions: number;
  io: Io;
}

/**
 * The target flags of an episode-running command (`addTargetOptions`) as the sessions to run:
 * `--url`, `--image` (with `--swarm`: swarm services; with `--k8s`: pods), or `--env` served in-process. Every command
 * resolves them here, so a flag added to the shared options works everywhere at once. Malformed or
 * contradictory flags are an error naming the flag (values never echoed).
 */
export async function targetFromFlags(flags: TargetFlags, options: TargetFromFlagsOptions): Promise<RolloutTarget> {
  const { headers, containerEnv } = targetRequest(flags);
  const swarm = swarmOptionsFromFlags(flags);
  const k8s = k8sOptionsFromFlags(flags);
  const connect = { transport: flags.transport, headers };
  if (flags.url) return rolloutTarget({ kind: 'url', url: flags.url, connect, ...(flags.env !== undefined ? { label: flags.env } : {}) });
  if (flags.image && k8s) return rolloutTarget({ kind: 'k8s', image: flags.image, connect, containerEnv, k8s });
  if (flags.image && swarm) return rolloutTarget({ kind: 'swarm', image: flags.image, connect, containerEnv, swarm });
  if (flags.image) {
    const pull = new PullProgress(options.io.err, options.command);
    return rolloutTarget({ kind: 'image', image: flags.image, connect, pull: flags.pull, containerEnv, onPullProgress: (event) => pull.update(event) });
  }
  const definition = await loadEnvDefinition(flags.env ?? DEFAULT_ENV, '--env');
  return rolloutTarget({ kind: 'in-process', definition, sessions: options.sessions, connect });
}
