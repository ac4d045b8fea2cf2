import type Docker from 'dockerode';
import { InvalidOptionError } from '../../errors/index.js';
import { assertFunction, assertInteger } from '../../internal/assert-option.js';
import type { TeardownErrorHandler } from '../report-teardown-error.js';
import { PULL_POLICIES, type PullPolicy, type PullProgressEvent } from './pull-image.js';

/** Options of `dockerEndpoint` and `Env.fromDockerImage`: the image's pull, the container's settings, start and stop timeouts. */
export interface DockerEndpointOptions {
  /** Injected client (tests, remote engines). Default `new Docker()`, which honours DOCKER_HOST. */
  docker?: Docker;
  /** Port the server listens on inside the container. Default 8000 (OpenEnv's). */
  containerPort?: number;
  /** Environment variables of the container. */
  env?: Record<string, string>;
  /** Overrides the image's CMD. */
  cmd?: string[];
  /**
   * Passed to `POST /containers/create`, merged deeply over ours (HostConfig.Binds, Memory,
   * NanoCpus, NetworkMode, ...): nested objects merge, arrays and scalars you give win, `Env`
   * is concatenated, our labels are always added.
   */
  createOptions?: Docker.ContainerCreateOptions;
  /**
   * `never` (default): the image must exist locally. `if-missing`: pull it when absent.
   * `always`: pull before every start (a newer image under the same tag is picked up).
   */
  pull?: PullPolicy;
  /**
   * A pull's own budget, not counted against `startTimeoutMs`. Default 600 000 ms; then
   * `TimeoutError` phase `pull` (the pull request is aborted).
   */
  pullTimeoutMs?: number;
  /** Each pull progress event (see `PullProgressEvent`), only when a pull happens. A throwing callback becomes a warning. */
  onProgress?: (event: PullProgressEvent) => void;
  /** Pause between `/health` probes. Default 50 ms (a small container boots in ~0.8 s here; a refused probe costs next to nothing). */
  healthIntervalMs?: number;
  /** Subscribe to healthy, every phase but the pull. Default 60 000 ms; then `TimeoutError` phase `start`. */
  startTimeoutMs?: number;
  /**
   * Seconds of `docker stop` (SIGTERM, then SIGKILL) before the removal, once the server was
   * healthy. Default 0: the container is force-removed at once (`docker rm -f`), after the
   * session's socket was closed; an env server holds nothing worth a graceful stop. A start
   * cancelled before healthy is always force-removed.
   */
  stopGraceS?: number;
  /** Lines of container log kept in `ServerExitedError`. Default 50. */
  logTailLines?: number;
  /** Stop/remove and sweep errors go here. Default: `process.emitWarning`. */
  onTeardownError?: TeardownErrorHandler;
  /** Called once the container is removed (or was never created) after unsubscribe, complete or error. */
  onStopped?: (info: { containerId?: string; sessionId: string }) => void;
  /** Sweep orphans of dead processes once per process at the first start. Default true. */
  reap?: boolean;
}

/**
 * Checks `dockerEndpoint`'s arguments; throws `InvalidOptionError` naming the first bad one
 * (`image` or an option).
 * Called on subscribe, so a bad argument errors the Observable.
 */
export function assertDockerEndpointArgs(image: unknown, options: DockerEndpointOptions): void {
  if (typeof image !== 'string' || image.trim() === '') throw new InvalidOptionError('image', image, 'a non-empty image name');
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', options, 'an object');
  assertInteger('containerPort', options.containerPort, 1);
  if (options.containerPort !== undefined && options.containerPort > 65_535) {
    throw new InvalidOptionError('containerPort', options.containerPort, 'an integer from 1 to 65535');
  }
  if (options.pull !== undefined && !PULL_POLICIES.includes(options.pull)) {
    throw new InvalidOptionError('pull', options.pull, `one of ${PULL_POLICIES.map((p) => `'${p}'`).join(', ')}`);
  }
  assertInteger('pullTimeoutMs', options.pullTimeoutMs, 1);
  assertInteger('startTimeoutMs', options.startTimeoutMs, 1);
  assertInteger('healthIntervalMs', options.healthIntervalMs, 1);
  assertInteger('stopGraceS', options.stopGraceS, 0);
  assertInteger('logTailLines', options.logTailLines, 0);
  for (const name of ['onProgress', 'onTeardownError', 'onStopped'] as const) {
    if (options[name] !== undefined) assertFunction(name, options[name]);
  }
  if (options.cmd !== undefined && (!Array.isArray(options.cmd) || options.cmd.some((part) => typeof part !== 'string'))) {
    throw new InvalidOptionError('cmd', options.cmd, 'an array of strings');
  }
}
