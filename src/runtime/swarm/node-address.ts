import { isIP } from 'node:net';
import type Docker from 'dockerode';
import { DockerError, type ErrorContext } from '../../errors/index.js';
import { toDockerError } from '../docker/docker-client.js';
import type { SwarmNodeInfo } from './swarm-endpoint-options.js';
import type { SwarmAddressFamily } from './swarm-task.js';

interface NodeInspect {
  ID?: string;
  Description?: { Hostname?: string };
  Spec?: { Labels?: Record<string, string> };
  Status?: { Addr?: string };
  ManagerStatus?: { Addr?: string };
}

const UNSPECIFIED = new Set(['', '0.0.0.0', '::']);

/** `host:port` or `[v6]:port` → host. */
const hostOf = (address: string): string => address.replace(/^\[?([^\]]*?)\]?:\d+$/, '$1');

/**
 * What `nodeAddress` receives. A manager that was initialised without an advertise address can
 * report `0.0.0.0` as its node address; its manager address (`host:2377`) names the host then.
 */
export function nodeInfoOf(node: NodeInspect, id: string): SwarmNodeInfo {
  const status = node.Status?.Addr ?? '';
  const manager = node.ManagerStatus?.Addr ? hostOf(node.ManagerStatus.Addr) : '';
  return {
    id,
    hostname: node.Description?.Hostname ?? '',
    addr: UNSPECIFIED.has(status) && !UNSPECIFIED.has(manager) ? manager : status,
    labels: node.Spec?.Labels ?? {},
  };
}

/** `http://<addr>:<port>`, IPv6 addresses in brackets. */
export const nodeUrl = (addr: string, port: number): string => `http://${addr.includes(':') ? `[${addr}]` : addr}:${port}`;

/**
 * The address the client dials to reach a task on `nodeId`: `resolve(node)` when given, else the
 * address the node advertises. Throws DockerError when neither yields one, or when it is an IP
 * address of the other family than `family` (a host name is taken as it is).
 */
export async function nodeAddress(
  docker: Docker,
  nodeId: string,
  resolve: ((node: SwarmNodeInfo) => string | Promise<string>) | undefined,
  context: ErrorContext = {},
  family: SwarmAddressFamily = 'ipv4',
): Promise<string> {
  let node: NodeInspect;
  try {
    node = (await docker.getNode(nodeId).inspect()) as NodeInspect;
  } catch (error) {
    throw await toDockerError(error, `inspect swarm node ${nodeId}`, docker, context);
  }
  const info = nodeInfoOf(node, nodeId);
  const addr = resolve ? await resolve(info) : info.addr;
  if (typeof addr !== 'string' || UNSPECIFIED.has(addr.trim())) {
    throw new DockerError(
      `Swarm node ${info.hostname || nodeId} has no usable address (${JSON.stringify(addr)}): pass nodeAddress to say how to reach it`,
      { ...context, nodeId },
    );
  }
  const version = isIP(addr.trim());
  if (version !== 0 && version !== (family === 'ipv4' ? 4 : 6)) {
    throw new DockerError(
      `Swarm node ${info.hostname || nodeId} is reached at ${addr.trim()}, an IPv${version} address, but addressFamily is '${family}': ` +
        (family === 'ipv6' ? 'pass nodeAddress returning the node\'s IPv6 address (nodes advertise IPv4)' : "pass addressFamily: 'ipv6'"),
      { ...context, nodeId, nodeHostname: info.hostname },
    );
  }
  return addr.trim();
}
