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

/** Which of a node's addresses (and the port bound for it) a session dials. */
export type SwarmAddressFamily = 'ipv4' | 'ipv6';

/**
 * The engine-chosen host port of `containerPort`/tcp for `family`, once the task runs. On a
 * dual-stack engine (Docker 20.10, verified on one node and on three) a task lists two entries,
 * the IPv4 binding (0.0.0.0) first, then the IPv6 one (::), allocated separately: one task's IPv6
 * port may carry the number of another task's IPv4 port, so the family picks the entry rather
 * than "the first port". An engine without IPv6 lists one entry: no IPv6 port then.
 */
export function publishedHostPort(task: SwarmTask, containerPort: number, family: SwarmAddressFamily = 'ipv4'): number | undefined {
  const bindings = (task.Status?.PortStatus?.Ports ?? []).filter(
    (p) => p.TargetPort === containerPort && p.PublishMode === 'host' && (p.Protocol ?? 'tcp') === 'tcp' && (p.PublishedPort ?? 0) > 0,
  );
  return bindings[family === 'ipv4' ? 0 : 1]?.PublishedPort;
}

/**
 * True when the orchestrator gave the task up while its last reported state is still `running`:
 * its node is down (the node cannot report the task's end: verified, the task stays `running`
 * with desired state `shutdown`), drained, or its service was removed.
 */
export const taskAbandoned = (task: SwarmTask): boolean =>
  taskState(task) === 'running' && (task.DesiredState === 'shutdown' || task.DesiredState === 'remove');

/** The first task of a service (one replica, restart policy `none`: the only one). */
export function firstTask(tasks: readonly SwarmTask[]): SwarmTask | undefined {
  return [...tasks].sort((a, b) => (a.CreatedAt ?? '').localeCompare(b.CreatedAt ?? ''))[0];
}
