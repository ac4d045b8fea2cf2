/** The fields of a swarm task (`GET /tasks`) that sessions read. dockerode types tasks as `any`. */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState?: string;
  Status?: {
    State?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
    PortStatus?: { Ports?: Array<{ Protocol?: string; TargetPort?: number; PublishedPort?: number; PublishMode?: string }> };
  };
}

/** States after which a task never runs again (swarmkit's TaskState above RUNNING). */
const ENDED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);

export const taskState = (task: SwarmTask): string => task.Status?.State ?? 'unknown';

/** True once the task ended (its container, if any, exited or was never created). */
export const taskEnded = (task: SwarmTask): boolean => ENDED.has(taskState(task));

/** What the engine says about the task: its error, else its status message. */
export const taskMessage = (task: SwarmTask): string => task.Status?.Err || task.Status?.Message || '';

/**
 * The container's exit code once a container ran and exited (it has an id and no pid any more);
 * `null` when no container ran (rejected, pending) or it still runs.
 */
export function taskExitCode(task: SwarmTask): number | null {
  const status = task.Status?.ContainerStatus;
  if (!status?.ContainerID || (status.PID ?? 0) !== 0 || !ENDED.has(taskState(task))) return null;
  return status.ExitCode ?? null;
}

/**
 * The engine-chosen host port of `containerPort`/tcp, once the task runs. On a dual-stack engine
 * (Docker 20.10 here) a task lists two entries, IPv4 first (0.0.0.0) then IPv6 (::), allocated
 * separately: the first is the one a session reaches over an IPv4 node address. One task's IPv6
 * port may carry the number of another task's IPv4 port.
 */
export function publishedHostPort(task: SwarmTask, containerPort: number): number | undefined {
  return task.Status?.PortStatus?.Ports?.find(
    (p) => p.TargetPort === containerPort && p.PublishMode === 'host' && (p.Protocol ?? 'tcp') === 'tcp' && (p.PublishedPort ?? 0) > 0,
  )?.PublishedPort;
}

/** The first task of a service (one replica, restart policy `none`: the only one). */
export function firstTask(tasks: readonly SwarmTask[]): SwarmTask | undefined {
  return [...tasks].sort((a, b) => (a.CreatedAt ?? '').localeCompare(b.CreatedAt ?? ''))[0];
}
