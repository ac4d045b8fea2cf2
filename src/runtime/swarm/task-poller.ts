import os from 'node:os';
import type Docker from 'dockerode';
import { Observable } from 'rxjs';
import { toDockerError } from '../docker/docker-client.js';
import { LABEL, MANAGED_FILTER } from '../docker/container-labels.js';
import type { SwarmTask } from './swarm-task.js';

interface Watcher {
  serviceId: string;
  intervalMs: number;
  next(tasks: SwarmTask[]): void;
  error(error: unknown): void;
}

/** Consecutive failed `GET /tasks` before every watcher errors (a manager re-electing its leader answers 503 for a moment). */
const MAX_FAILURES = 3;

/**
 * One `GET /tasks` per manager for every session of this process: the engine has no task events,
 * so tasks are polled, and one request filtered by our owner labels (the engine matches a task by
 * its service's labels) answers for all services at once instead of one request per session.
 * The poll runs at the shortest interval any watcher asks for and stops when nobody watches.
 */
export class TaskPoller {
  private readonly watchers = new Set<Watcher>();
  private readonly filters = { label: [MANAGED_FILTER, `${LABEL.ownerPid}=${process.pid}`, `${LABEL.ownerHost}=${os.hostname()}`] };
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastPollAt = -Infinity;
  private failures = 0;

  constructor(private readonly docker: Docker) {}

  /**
   * The tasks of `serviceId` (`[]` once there are none: not created yet, or deleted after the
   * service was removed), at every poll while subscribed. Errors with a DockerError after
   * repeated failed polls. The first poll of a new watcher comes at once (or `intervalMs` after
   * the last one).
   */
  tasksOf(serviceId: string, intervalMs: number): Observable<SwarmTask[]> {
    return new Observable<SwarmTask[]>((subscriber) => {
      const watcher: Watcher = {
        serviceId,
        intervalMs,
        next: (tasks) => subscriber.next(tasks),
        error: (error) => subscriber.error(error),
      };
      this.watchers.add(watcher);
      this.schedule();
      return () => {
        this.watchers.delete(watcher);
        clearTimeout(this.timer);
        this.timer = undefined;
        this.schedule(); // at the interval of those left, if any
      };
    });
  }

  private schedule(): void {
    if (this.polling || this.watchers.size === 0) return;
    let interval = Infinity;
    for (const watcher of this.watchers) interval = Math.min(interval, watcher.intervalMs);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), Math.max(0, this.lastPollAt + interval - performance.now()));
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    this.polling = true;
    this.lastPollAt = performance.now();
    let tasks: SwarmTask[] | undefined;
    let failure: unknown;
    try {
      tasks = (await this.docker.listTasks({ filters: this.filters })) as SwarmTask[];
    } catch (error) {
      failure = error;
    }
    this.polling = false;
    if (tasks) {
      this.failures = 0;
      const byService = new Map<string, SwarmTask[]>();
      for (const task of tasks) {
        const list = byService.get(task.ServiceID);
        if (list) list.push(task);
        else byService.set(task.ServiceID, [task]);
      }
      // A watcher may unsubscribe others (or itself) from its callback: re-check membership.
      for (const watcher of [...this.watchers]) if (this.watchers.has(watcher)) watcher.next(byService.get(watcher.serviceId) ?? []);
    } else if (++this.failures >= MAX_FAILURES) {
      this.failures = 0;
      const error = await toDockerError(failure, 'list swarm tasks', this.docker);
      for (const watcher of [...this.watchers]) if (this.watchers.has(watcher)) watcher.error(error);
    }
    this.schedule();
  }
}

const pollers = new WeakMap<Docker, TaskPoller>();

/** The poller of this manager client (one per dockerode instance). */
export function taskPollerFor(docker: Docker): TaskPoller {
  let poller = pollers.get(docker);
  if (!poller) {
    poller = new TaskPoller(docker);
    pollers.set(docker, poller);
  }
  return poller;
}
