import type Docker from 'dockerode';
import type { TeardownErrorHandler } from '../report-teardown-error.js';
import type { PullPolicy, PullProgressEvent } from './pull-image.js';

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
  /** `never` (default): the image must exist locally. `if-missing`: pull it when absent. */
  pull?: PullPolicy;
  /** Pull progress events (only with `pull: 'if-missing'` when a pull happens). */
  onProgress?: (event: PullProgressEvent) => void;
  /** Pause between `/health` probes. Default 50 ms (a small container boots in ~0.8 s here; a refused probe costs next to nothing). */
  healthIntervalMs?: number;
  /** Subscribe to healthy, all phases together. Default 60 000 ms; then `TimeoutError` phase `start`. */
  startTimeoutMs?: number;
  /** Seconds `docker stop` waits between SIGTERM and SIGKILL once healthy (a cancelled start is force-removed). Default 2. */
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
