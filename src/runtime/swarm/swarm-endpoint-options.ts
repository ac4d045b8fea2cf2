import type Docker from 'dockerode';
import type { PullPolicy } from '../docker/pull-image.js';
import type { TeardownErrorHandler } from '../report-teardown-error.js';
import type { SwarmAddressFamily } from './swarm-task.js';

/** A swarm node as `nodeAddress` sees it. */
export interface SwarmNodeInfo {
  id: string;
  hostname: string;
  /** The address the node advertises to the swarm (`Status.Addr`; a manager's own address when that is 0.0.0.0). */
  addr: string;
  /** Node labels (`docker node update --label-add pool=gpu NODE`). */
  labels: Record<string, string>;
}

/** CPU and memory of the one task. Limits cap what it uses; reservations decide where it fits. */
export interface SwarmResources {
  /** CPU limit in cores (`--limit-cpu`), e.g. 1 or 0.5. */
  cpus?: number;
  /** Memory limit in bytes (`--limit-memory`). */
  memoryBytes?: number;
  /** Cores a node must have free for the task to be placed there (`--reserve-cpu`). */
  reserveCpus?: number;
  /** Bytes a node must have free for the task to be placed there (`--reserve-memory`). */
  reserveMemoryBytes?: number;
}

/**
 * Options of `swarmEndpoint` / `fromSwarmService`. Where a name also exists in
 * `DockerEndpointOptions` it means the same thing.
 */
export interface SwarmEndpointOptions {
  /**
   * The swarm manager to talk to: a dockerode instance, or its connection options (`{ socketPath }`,
   * `{ host, port, protocol: 'https', ca, cert, key }`, `{ host, protocol: 'ssh', username, sshOptions }`).
   * Default `new Docker()`, which honours DOCKER_HOST (unix://, tcp:// with DOCKER_TLS_VERIFY, ssh://).
   */
  docker?: Docker | Docker.DockerOptions;
  /** Port the server listens on inside the container. Default 8000 (OpenEnv's). */
  containerPort?: number;
  /** Environment variables of the container. */
  env?: Record<string, string>;
  /** Overrides the image's CMD (the service's `Args`; the image's ENTRYPOINT stays). */
  cmd?: string[];
  /**
   * `never` (default): the image is looked up on the manager and the service pinned to its image
   * ID (`sha256:...`), so no node pulls anything; a node without that exact image rejects the task.
   * `if-missing`: the service names the image as given; each node's engine then tries to pull it
   * (with `registryAuth`) and falls back to its local copy when the pull fails (the engine's own
   * rule for a tag).
   */
  pull?: PullPolicy;
  /** Credentials nodes use to pull a private image (sent as X-Registry-Auth, like `--with-registry-auth`). */
  registryAuth?: Docker.AuthConfig;
  /**
   * Bearer token the server requires (`OPENENV_TOKEN` in its environment; sessions send
   * `Authorization: Bearer <token>`). Host-mode ports listen on every interface of the node, so a
   * fresh random token is generated per service unless one is given. `false`: none.
   */
  token?: string | false;
  /** Placement constraints, e.g. `['node.labels.pool==envs', 'node.platform.arch==x86_64']`. */
  constraints?: string[];
  /** Spread preferences, e.g. `['node.labels.zone']` (`--placement-pref spread=...`). */
  preferences?: string[];
  resources?: SwarmResources;
  /** Labels of the service and its container (ours are added and win). */
  labels?: Record<string, string>;
  /** Networks (names or ids) the task joins, e.g. an overlay shared with a model server. Sessions still connect through the host-mode port. */
  networks?: string[];
  /**
   * Merged deeply over the `POST /services/create` body we build (TaskTemplate.ContainerSpec.Mounts,
   * LogDriver, RestartPolicy, ...). Name, labels, mode (one replica) and the host-mode port are
   * always ours. A restart policy other than `none` only wastes work: a session is pinned to its
   * first task and errors when that task ends.
   */
  serviceOptions?: Partial<Docker.CreateServiceOptions>;
  /**
   * How the client reaches a node. Default: the address the node advertises (`Status.Addr`).
   * With `addressFamily: 'ipv6'` it must return the node's IPv6 address (or a host name).
   */
  nodeAddress?: (node: SwarmNodeInfo) => string | Promise<string>;
  /**
   * Which of the task's host-mode bindings a session dials: `ipv4` (default; the 0.0.0.0 binding)
   * or `ipv6` (the [::] binding, allocated separately: its port number may differ). An IP address
   * of the other family from `nodeAddress` is a `DockerError` rather than a wrong port.
   */
  addressFamily?: SwarmAddressFamily;
  /** Pause between `/health` probes. Default 50 ms. */
  healthIntervalMs?: number;
  /** Subscribe to ready (service created, task running, /health, WS handshake). Default 60 000 ms; then `TimeoutError` phase `start`. */
  startTimeoutMs?: number;
  /**
   * A task still pending this long after the scheduler said why (`no suitable node (...)`) fails
   * with `SwarmTaskError` state `pending`. Default 5 000 ms; `Infinity` waits for `startTimeoutMs`.
   */
  schedulingTimeoutMs?: number;
  /** Task polling while starting and while removing (one request per manager for all sessions of this process). Default 50 ms. */
  taskPollIntervalMs?: number;
  /** Task polling while the task runs: how soon a dead task is reported. Default 500 ms. */
  watchIntervalMs?: number;
  /** Seconds between SIGTERM and SIGKILL when the service is removed (`--stop-grace-period`). Default 2. */
  stopGraceS?: number;
  /** Bound on the wait for the task's container to be gone after the service was removed. Default 30 000 ms. */
  stopTimeoutMs?: number;
  /** Lines of `service logs` kept in `SwarmTaskError`. Default 50. */
  logTailLines?: number;
  /** Removal errors and sweep errors go here. Default: `process.emitWarning`. */
  onTeardownError?: TeardownErrorHandler;
  /** Called once the service is removed and its container gone (or never created) after unsubscribe, complete or error. */
  onStopped?: (info: { serviceId?: string; sessionId: string }) => void;
  /** Sweep services and containers of dead processes once per process at the first start. Default true. */
  reap?: boolean;
}
