import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { DockerError, markPermanent, ServerExitedError, type ErrorContext, type OpenEnvError } from '../../errors/index.js';
import { reportTeardownError } from '../report-teardown-error.js';
import { trackTeardown } from '../teardown-registry.js';
import { checkDockerReachable, dockerStatus, resolveDocker, toDockerError } from './docker-client.js';
import type { DockerEndpointOptions } from './docker-endpoint-options.js';
import { holdContainerUntilExit } from './container-exit-guard.js';
import { sessionLabels } from './container-labels.js';
import { buildCreateOptions } from './create-options.js';
import { containerLogTail } from './log-tail.js';
import { publishedUrl } from './port-mapping.js';
import { ensureImage } from './pull-image.js';
import { sweepOrphansOnce } from './reaper.js';
import { stopAndRemoveContainer } from './stop-container.js';

/**
 * One container's life: configured → created → started → stopped. `stop()` may be called at any
 * moment, even while `start()` is between calls: a create in flight is awaited and its
 * container removed; no create is issued after a stop was requested.
 */
export class ContainerRun {
  readonly sessionId = randomUUID();
  readonly context: ErrorContext;
  private docker: Docker | undefined;
  private created: Promise<Docker.Container> | undefined;
  private exited: Promise<OpenEnvError> | undefined;
  private stopping: Promise<void> | undefined;
  private stopRequested = false;
  private ready = false;
  private releaseExitGuard: (() => void) | undefined;
  private tty = false;
  private readonly waitAbort = new AbortController();

  constructor(
    readonly image: string,
    private readonly options: DockerEndpointOptions,
  ) {
    this.context = { image };
  }

  get stopped(): boolean {
    return this.stopRequested;
  }

  /** Reaches the engine (`GET /_ping`) and starts the once-per-process orphan sweep. */
  async connect(): Promise<void> {
    const docker = (this.docker = await resolveDocker(this.options.docker, this.context));
    await checkDockerReachable(docker, this.context);
    if (this.options.reap !== false) {
      void sweepOrphansOnce(docker, (error) => reportTeardownError(this.options.onTeardownError, error, {}));
    }
  }

  /** Pulls the image as the pull policy says; `signal` aborts the pull request. After `connect()`. */
  async pull(signal: AbortSignal): Promise<void> {
    await ensureImage(this.engine(), this.image, this.options.pull ?? 'never', this.options.onProgress, this.context, signal);
  }

  /** Creates and starts the container. Resolves with its URL, or `undefined` if stopped meanwhile. After `pull()`. */
  async start(): Promise<string | undefined> {
    const docker = this.engine();
    if (this.stopRequested) return undefined;
    // From here on a container may exist: an exit of this process (signal, uncaught error) removes it.
    this.releaseExitGuard = holdContainerUntilExit(docker);

    const containerPort = this.options.containerPort ?? 8000;
    const config = buildCreateOptions({
      image: this.image,
      containerPort,
      labels: sessionLabels(this.sessionId),
      env: this.options.env,
      cmd: this.options.cmd,
      createOptions: this.options.createOptions,
    });
    this.tty = config.Tty === true;
    this.created = docker.createContainer(config);
    let container: Docker.Container;
    try {
      container = await this.created;
    } catch (error) {
      throw dockerStatus(error) === 404
        ? markPermanent(
            new DockerError(
              `Image ${this.image} is not present locally (pull: '${this.options.pull ?? 'never'}'): build or pull it, or pass { pull: 'if-missing' }`,
              this.context,
              { cause: error },
            ),
          )
        : await toDockerError(error, `create a container from ${this.image}`, docker, this.context);
    }
    this.context.containerId = container.id;
    if (this.stopRequested) return undefined;

    try {
      await container.start();
    } catch (error) {
      throw await toDockerError(error, `start the container of ${this.image}`, docker, this.context);
    }
    this.watchExit(docker, container);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await container.inspect();
    } catch (error) {
      throw await toDockerError(error, 'inspect the container', docker, this.context);
    }
    const url = publishedUrl(info, containerPort);
    if (url) {
      this.context.url = url;
      return url;
    }
    if (!info.State.Running) throw await this.exitError();
    throw new DockerError(
      `Container port ${containerPort}/tcp is not published (NetworkMode ${info.HostConfig?.NetworkMode ?? 'default'}): check createOptions`,
      this.context,
    );
  }

  private engine(): Docker {
    if (!this.docker) throw new Error('ContainerRun: connect() first');
    return this.docker;
  }

  /**
   * Resolves (never rejects) with the error describing the container's exit: ServerExitedError
   * with exit code and log tail, or DockerError if the engine stopped answering the wait.
   */
  exitError(): Promise<OpenEnvError> {
    return this.exited ?? new Promise<OpenEnvError>(() => undefined);
  }

  private watchExit(docker: Docker, container: Docker.Container): void {
    // `not-running` right after start: a container that already exited answers at once.
    const waited = container.wait({ condition: 'not-running', abortSignal: this.waitAbort.signal }) as Promise<{ StatusCode?: number }>;
    this.exited = waited.then(
      async (result) => {
        if (this.stopRequested) return new DockerError('Container stopped by its owner', this.context);
        const tail = await containerLogTail(docker, container, this.options.logTailLines ?? 50, this.tty);
        const exited = new ServerExitedError('container', result.StatusCode ?? null, tail, this.context);
        // Exited with a code before it ever answered /health: the same image does that every time.
        return !this.ready && result.StatusCode !== undefined ? markPermanent(exited) : exited;
      },
      (error: unknown) => toDockerError(error, 'watch the container', docker, this.context),
    );
  }

  /** The server answered /health: from now on a stop honours `stopGraceS` (before that nobody is served). */
  markReady(): void {
    this.ready = true;
  }

  /**
   * Force-removes the container (after `docker stop` with `stopGraceS` once ready, when set).
   * Idempotent, never rejects; errors go to `onTeardownError`.
   */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= trackTeardown(this.stopAndRemove());
    return this.stopping;
  }

  private async stopAndRemove(): Promise<void> {
    const container = await this.created?.catch(() => undefined);
    if (container) {
      try {
        await stopAndRemoveContainer(container, this.ready ? (this.options.stopGraceS ?? 0) : 0);
      } catch (error) {
        const wrapped = this.docker ? await toDockerError(error, 'remove the container', this.docker, this.context) : error;
        reportTeardownError(this.options.onTeardownError, wrapped, this.context);
      }
    }
    this.waitAbort.abort(); // frees the wait long-poll if the engine did not end it
    this.releaseExitGuard?.();
    try {
      this.options.onStopped?.({ containerId: container?.id, sessionId: this.sessionId });
    } catch (error) {
      reportTeardownError(this.options.onTeardownError, error, this.context);
    }
  }
}
