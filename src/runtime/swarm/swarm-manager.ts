import Docker from 'dockerode';
import { DockerUnavailableError, SwarmUnavailableError, type ErrorContext } from '../../errors/index.js';
import { describeDockerTarget, resolveDocker, toDockerError } from '../docker/docker-client.js';

/** A dockerode instance, told apart from its connection options by what it can do. */
const isDockerClient = (value: unknown): value is Docker =>
  typeof value === 'object' && value !== null && typeof (value as { createService?: unknown }).createService === 'function';

/** Clients built from connection options, per options object. */
const fromOptions = new WeakMap<Docker.DockerOptions, Docker>();
/** The default client, built once (DOCKER_HOST is read then). */
let defaultClient: Promise<Docker> | undefined;

/**
 * The manager to talk to: the injected client, a client built from connection options (unix
 * socket, TCP with TLS, SSH), else `new Docker()` (DOCKER_HOST honoured, read at the first start).
 * Clients built here are kept (one default client, one per options object), so that sessions
 * talking to the same manager share one task poller.
 */
export async function resolveSwarmManager(docker: Docker | Docker.DockerOptions | undefined, context: ErrorContext = {}): Promise<Docker> {
  if (isDockerClient(docker)) return docker;
  if (docker === undefined) {
    defaultClient ??= resolveDocker(undefined, context);
    defaultClient.catch(() => (defaultClient = undefined)); // a malformed DOCKER_HOST is not cached
    return defaultClient;
  }
  let client = fromOptions.get(docker);
  if (!client) {
    try {
      client = new Docker(docker);
    } catch (error) {
      throw new DockerUnavailableError([`connection options (${(error as Error).message})`], context, { cause: error });
    }
    fromOptions.set(docker, client);
  }
  return client;
}

/** What a session needs to know about the manager it talks to. */
export interface SwarmManagerInfo {
  /** This engine's own node id: containers of tasks placed here can be watched directly. */
  nodeId: string;
}

const managers = new WeakMap<Docker, Promise<SwarmManagerInfo>>();

async function inspectManager(docker: Docker, context: ErrorContext): Promise<SwarmManagerInfo> {
  let info: { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string } };
  try {
    info = (await docker.info()) as typeof info;
  } catch (error) {
    throw await toDockerError(error, 'answer `info`', docker, context);
  }
  const swarm = info.Swarm ?? {};
  if (swarm.LocalNodeState !== 'active' || swarm.ControlAvailable !== true || !swarm.NodeID) {
    throw new SwarmUnavailableError(swarm.LocalNodeState ?? '', swarm.ControlAvailable === true, await describeDockerTarget(docker), context);
  }
  return { nodeId: swarm.NodeID };
}

/**
 * `GET /info` once per client: throws `SwarmUnavailableError` unless the engine is an active
 * swarm manager (a worker cannot create services). A failed check is not cached.
 */
export function swarmManagerInfo(docker: Docker, context: ErrorContext = {}): Promise<SwarmManagerInfo> {
  let info = managers.get(docker);
  if (!info) {
    info = inspectManager(docker, context);
    managers.set(docker, info);
    info.catch(() => managers.delete(docker));
  }
  return info;
}

/** True when the engine answers `info` as an active swarm manager; false for anything else (errors included). */
export async function isSwarmManager(docker: Docker): Promise<boolean> {
  try {
    await swarmManagerInfo(docker);
    return true;
  } catch {
    return false;
  }
}
