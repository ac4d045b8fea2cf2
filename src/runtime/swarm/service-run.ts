import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { NEVER, Observable, defer, exhaustMap, filter, first, firstValueFrom, from, map, mergeMap, race, share, take, throttleTime, throwError, timeout } from 'rxjs';
import { DockerError, markPermanent, SwarmTaskError, TimeoutError, type ErrorContext, type OpenEnvError } from '../../errors/index.js';
import { sessionLabels } from '../docker/container-labels.js';
import { holdUntilExit } from '../docker/container-exit-guard.js';
import { checkDockerReachable, dockerStatus, toDockerError } from '../docker/docker-client.js';
import { sweepOrphansOnce } from '../docker/reaper.js';
import { reportTeardownError } from '../report-teardown-error.js';
import { trackTeardown } from '../teardown-registry.js';
import { nodeAddress, nodeUrl } from './node-address.js';
import { nodeLost, nodeStatus } from './node-status.js';
import { serviceLogTail } from './service-log-tail.js';
import { buildServiceSpec } from './service-spec.js';
import type { SwarmEndpointOptions } from './swarm-endpoint-options.js';
import { resolveSwarmManager, swarmManagerInfo } from './swarm-manager.js';
import { firstTask, publishedHostPort, taskAbandoned, taskEnded, taskExitCode, taskMessage, taskState, type SwarmTask } from './swarm-task.js';
import { taskPollerFor, type TaskPoller } from './task-poller.js';

/** Label of a task's container: which session it serves (not the reaper's `openenv-rx` label: its service owns it). */
export const SWARM_SESSION_LABEL = 'openenv-rx.swarm-session';

/**
 * A task that failed to start in a way the next service would repeat: no node satisfies its
 * placement constraints (and none lacks only resources, which free up), or its container exited
 * with a code before it ran (a crash at start).
 */
export function startCannotSucceed(task: SwarmTask): boolean {
  const state = taskState(task);
  if (state === 'pending') {
    const reasons = task.Status?.Err ?? '';
    return /scheduling constraints not satisfied/.test(reasons) && !/insufficient resources/.test(reasons);
  }
  return (state === 'failed' || state === 'complete') && taskExitCode(task) !== null;
}

/** Where the running task is reached. */
export interface RunningTask {
  url: string;
  task: SwarmTask;
}

/**
 * One service's life: configured → created → task running → removed. `stop()` may be called at
 * any moment: a create in flight is awaited and its service removed; nothing is created after a
 * stop was requested. The session is pinned to the service's first task: whatever ends that
 * task ends the session.
 */
export class ServiceRun {
  readonly sessionId = randomUUID();
  readonly name = `openenv-rx-${this.sessionId}`;
  readonly context: ErrorContext;
  /** Set once the server answered (health and handshake): a failure after that is no start failure. */
  ready = false;
  /** The last task state seen, for the start timeout's message. */
  lastState = 'service not created yet';
  private docker: Docker | undefined;
  private poller: TaskPoller | undefined;
  private created: Promise<string> | undefined;
  private pinned: SwarmTask | undefined;
  private failure: Promise<OpenEnvError> | undefined;
  private stopping: Promise<void> | undefined;
  private stopRequested = false;
  private releaseExitGuard: (() => void) | undefined;

  constructor(
    readonly image: string,
    private readonly options: SwarmEndpointOptions,
    /** Passed to the server as OPENENV_TOKEN; `undefined`: none. */
    private readonly token: string | undefined,
  ) {
    this.context = { image, serviceName: this.name };
  }

  get stopped(): boolean {
    return this.stopRequested;
  }

  get serviceId(): string | undefined {
    return this.context['serviceId'] as string | undefined;
  }

  private get fastPollMs(): number {
    return this.options.taskPollIntervalMs ?? 50;
  }

  /**
   * Creates the service and emits once its task runs, with the URL of the task's host-mode port
   * on its node. Errors with `SwarmTaskError` if the task ends first or cannot be placed. Emits
   * nothing when stopped meanwhile.
   */
  start(): Observable<RunningTask> {
    return defer(() => this.create()).pipe(
      mergeMap((serviceId) => (serviceId === undefined ? NEVER : this.running(serviceId))),
      take(1),
      mergeMap((task) => from(this.locate(task))),
    );
  }

  private async create(): Promise<string | undefined> {
    const docker = (this.docker = await resolveSwarmManager(this.options.docker, this.context));
    await checkDockerReachable(docker, this.context);
    await swarmManagerInfo(docker, this.context);
    this.poller = taskPollerFor(docker);
    if (this.options.reap !== false) {
      void sweepOrphansOnce(docker, (error) => reportTeardownError(this.options.onTeardownError, error, {}));
    }
    const image = await this.resolveImage(docker);
    if (this.stopRequested) return undefined;

    const spec = buildServiceSpec({
      name: this.name,
      image,
      containerPort: this.options.containerPort ?? 8000,
      serviceLabels: sessionLabels(this.sessionId),
      containerLabels: { [SWARM_SESSION_LABEL]: this.sessionId },
      labels: this.options.labels,
      env: this.options.env,
      cmd: this.options.cmd,
      token: this.token,
      constraints: this.options.constraints,
      preferences: this.options.preferences,
      resources: this.options.resources,
      networks: this.options.networks,
      stopGraceS: this.options.stopGraceS ?? 2,
      serviceOptions: this.options.serviceOptions,
    });
    const auth = this.options.registryAuth;
    // From here on a service may exist: an exit of this process (process.exit, uncaught error, signal) removes it.
    this.releaseExitGuard = holdUntilExit(docker, 'services');
    this.created = (auth ? docker.createService(auth, spec) : docker.createService(spec)).then((service) => service.id);
    let serviceId: string;
    try {
      serviceId = await this.created;
    } catch (error) {
      throw await toDockerError(error, `create a service from ${this.image}`, docker, this.context);
    }
    this.context['serviceId'] = serviceId;
    this.lastState = 'service created, no task yet';
    return this.stopRequested ? undefined : serviceId;
  }

  /** `never`: the manager's local image ID (no node pulls). `if-missing`: the name, nodes pull. */
  private async resolveImage(docker: Docker): Promise<string> {
    if ((this.options.pull ?? 'never') === 'if-missing') return this.image;
    try {
      const info = (await docker.getImage(this.image).inspect()) as { Id: string };
      return info.Id;
    } catch (error) {
      if (dockerStatus(error) !== 404) throw await toDockerError(error, `inspect image ${this.image}`, docker, this.context);
      throw markPermanent(
        new DockerError(
          `Image ${this.image} is not present on the swarm manager (pull: 'never' runs the manager's local image by its ID): ` +
            "build or load it there, or pass { pull: 'if-missing' } to let each node pull it",
          this.context,
          { cause: error },
        ),
      );
    }
  }

  /** Polls the task until it runs; a task that ends, or stays unplaceable, becomes `SwarmTaskError`. */
  private running(serviceId: string): Observable<SwarmTask> {
    const schedulingTimeoutMs = this.options.schedulingTimeoutMs ?? 5_000;
    let unplaceableSince: number | undefined;
    return this.poller!.tasksOf(serviceId, this.fastPollMs).pipe(
      map(firstTask),
      filter((task): task is SwarmTask => task !== undefined),
      filter((task) => {
        const state = taskState(task);
        this.lastState = `task ${state}${taskMessage(task) ? ` (${taskMessage(task)})` : ''}`;
        if (state === 'running' || taskEnded(task) || task.DesiredState === 'shutdown' || task.DesiredState === 'remove') return true;
        // The scheduler sets Err on a pending task it cannot place (constraints, resources).
        if (state !== 'pending' || !task.Status?.Err) {
          unplaceableSince = undefined;
          return false;
        }
        unplaceableSince ??= performance.now();
        return performance.now() - unplaceableSince >= schedulingTimeoutMs;
      }),
      exhaustMap((task) =>
        taskState(task) === 'running' && !taskAbandoned(task) ? [task] : from(this.taskError(task)).pipe(mergeMap((error) => throwError(() => error))),
      ),
    );
  }

  private async locate(task: SwarmTask): Promise<RunningTask> {
    this.pinned = task;
    const containerPort = this.options.containerPort ?? 8000;
    Object.assign(this.context, { taskId: task.ID, nodeId: task.NodeID, containerId: task.Status?.ContainerStatus?.ContainerID || undefined });
    const family = this.options.addressFamily ?? 'ipv4';
    const port = publishedHostPort(task, containerPort, family);
    if (port === undefined || !task.NodeID) {
      throw new DockerError(
        `The task of service ${this.name} runs but publishes no ${family === 'ipv4' ? 'IPv4' : 'IPv6'} host port for ${containerPort}/tcp` +
          (family === 'ipv6' ? " (the node's engine bound no IPv6 port: is IPv6 enabled on it?)" : ''),
        this.context,
      );
    }
    const url = nodeUrl(await nodeAddress(this.docker!, task.NodeID, this.options.nodeAddress, this.context, family), port);
    this.context.url = url;
    return { url, task };
  }

  /**
   * Errors with `SwarmTaskError` once the pinned task stops running (polled every `intervalMs`);
   * stays silent after `stop()`. Never emits.
   */
  failure$(intervalMs: number): Observable<never> {
    return defer(() => {
      const pinned = this.pinned;
      const serviceId = this.serviceId;
      if (!pinned || !serviceId || !this.poller) return NEVER;
      return this.poller.tasksOf(serviceId, intervalMs).pipe(
        map((tasks) => tasks.find((t) => t.ID === pinned.ID)),
        // A task whose node is down (engine stopped, network cut) still reads `running`: the
        // orchestrator marks it abandoned (desired state shutdown) once the heartbeat fails.
        first((task) => task === undefined || taskState(task) !== 'running' || taskAbandoned(task)),
        mergeMap((task) => {
          if (this.stopRequested) return NEVER;
          const gone: SwarmTask = { ...pinned, Status: { ...pinned.Status, State: 'removed', Err: 'the task no longer exists (its service was removed by someone else?)' } };
          return from(this.taskError(task ?? gone)).pipe(mergeMap((error) => throwError(() => error)));
        }),
      );
    });
  }

  /** The error describing `task`'s end, with the service's last log lines; built once per run. */
  private taskError(task: SwarmTask): Promise<OpenEnvError> {
    this.failure ??= (async () => {
      const tty = (this.options.serviceOptions?.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.ContainerSpec?.TTY === true;
      const [tail, node] = await Promise.all([
        serviceLogTail(this.docker!, task.ServiceID, this.options.logTailLines ?? 50, tty),
        nodeStatus(this.docker!, task.NodeID),
      ]);
      const context = { ...this.context, taskId: task.ID, nodeId: task.NodeID, ...(node && { nodeHostname: node.hostname, nodeAddr: node.addr, nodeState: node.state }) };
      let state = taskState(task);
      let message = taskMessage(task);
      if (node && nodeLost(node) && !taskEnded(task)) {
        // The node cannot report the task's end: what is known is that the node is gone.
        state = 'node-down';
        message = `node ${node.hostname} (${node.addr}) is ${node.state}${node.message ? `: ${node.message}` : ''}; the task's last reported state was ${taskState(task)}`;
      } else if (taskAbandoned(task)) {
        // Being stopped by the orchestrator: report what it is becoming, and why when known.
        state = task.DesiredState === 'remove' ? 'removed' : 'shutdown';
        message = node?.availability === 'drain' ? `node ${node.hostname} is drained` : 'the orchestrator is stopping it (service removed or updated by someone else?)';
      } else if (node?.availability === 'drain') {
        message = `${message ? `${message}; ` : ''}node ${node.hostname} is drained`;
      }
      const error = new SwarmTaskError(state, message, taskExitCode(task), tail, context);
      return !this.ready && startCannotSucceed(task) ? markPermanent(error) : error;
    })();
    return this.failure;
  }

  /**
   * Removes the service and waits until its task's container is gone. Idempotent, never rejects;
   * errors go to `onTeardownError`.
   */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= trackTeardown(this.removeService());
    return this.stopping;
  }

  private async removeService(): Promise<void> {
    const serviceId = await this.created?.catch(() => undefined);
    const docker = this.docker;
    if (!serviceId) this.releaseExitGuard?.(); // the create failed or never ran: no service
    if (serviceId && docker) {
      try {
        await docker.getService(serviceId).remove();
        this.releaseExitGuard?.();
      } catch (error) {
        if (dockerStatus(error) === 404) this.releaseExitGuard?.();
        // Otherwise still held: the exit hook's child tries once more if this process exits.
        else reportTeardownError(this.options.onTeardownError, await toDockerError(error, 'remove the service', docker, this.context), this.context);
      }
      try {
        await this.waitGone(docker, serviceId);
      } catch (error) {
        reportTeardownError(this.options.onTeardownError, error, this.context);
      }
    }
    try {
      this.options.onStopped?.({ serviceId, sessionId: this.sessionId });
    } catch (error) {
      reportTeardownError(this.options.onTeardownError, error, this.context);
    }
  }

  /**
   * The manager deletes the task record once the node reports the task shut down; the node then
   * removes the container. Containers on the manager's own node are awaited until removed; on
   * other nodes the deleted task record is the last thing the manager can see.
   */
  private async waitGone(docker: Docker, serviceId: string): Promise<void> {
    const stopTimeoutMs = this.options.stopTimeoutMs ?? 30_000;
    const deadline = performance.now() + stopTimeoutMs;
    const timedOut = (what: string) => new TimeoutError('stop', stopTimeoutMs, this.context, `Service ${this.name} removed, but ${what} after ${stopTimeoutMs} ms`);
    // A task on a node that is down keeps its record until the node is back (its agent then
    // removes the container, verified): nothing to wait for here, the node cleans up on return.
    // Any task of the service counts, not only a pinned one: a start that failed may have been
    // assigned to a node that went down before its task ran.
    const tasks$ = taskPollerFor(docker).tasksOf(serviceId, this.fastPollMs).pipe(share());
    const nodesLost$ = tasks$.pipe(
      throttleTime(1_000),
      exhaustMap(async (tasks) => tasks.length > 0 && (await Promise.all(tasks.map((t) => nodeStatus(docker, t.NodeID)))).every(nodeLost)),
      first(Boolean),
    );
    await firstValueFrom(
      race(tasks$.pipe(first((tasks) => tasks.length === 0)), nodesLost$).pipe(
        timeout({ first: stopTimeoutMs, with: () => throwError(() => timedOut('its task still exists')) }),
      ),
    );
    let containers: Docker.ContainerInfo[];
    try {
      containers = await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${serviceId}`] } });
    } catch (error) {
      throw await toDockerError(error, 'list the containers of the removed service', docker, this.context);
    }
    await Promise.all(
      containers.map(async (container) => {
        try {
          await docker.getContainer(container.Id).wait({ condition: 'removed', abortSignal: AbortSignal.timeout(Math.max(1, Math.round(deadline - performance.now()))) });
        } catch (error) {
          if (dockerStatus(error) === 404) return; // already removed
          if ((error as { name?: string }).name === 'AbortError' || (error as { name?: string }).name === 'TimeoutError') throw timedOut(`container ${container.Id.slice(0, 12)} still exists`);
          throw await toDockerError(error, 'wait for the container to be removed', docker, this.context);
        }
      }),
    );
  }
}
