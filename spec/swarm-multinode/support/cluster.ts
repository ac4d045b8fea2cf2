import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { LABEL } from '../../../src/runtime/docker/container-labels.js';
import { repoPath } from '../../fixtures/test-image.js';

/**
 * The multi-node swarm the specs in this folder run on: by default the one
 * `scripts/multinode-swarm.sh up` starts on this machine (manager socket
 * /run/openenv-rx-mn/node1.sock). `OPENENV_RX_MULTINODE_DOCKER_HOST=env` runs the placement and
 * image specs on your own cluster instead, through `DOCKER_HOST` (and DOCKER_TLS_VERIFY /
 * DOCKER_CERT_PATH), with `OPENENV_RX_MULTINODE_IMAGE` present on every node; the node-fault
 * specs need the local script's namespaces and skip there.
 */
export const LOCAL_MANAGER_SOCKET = '/run/openenv-rx-mn/node1.sock';
export const ownCluster = process.env['OPENENV_RX_MULTINODE_DOCKER_HOST'] === 'env';
const SCRIPT = repoPath('scripts/multinode-swarm.sh');

export const managerOptions = (): Docker.DockerOptions | undefined => (ownCluster ? undefined : { socketPath: LOCAL_MANAGER_SOCKET });
export const manager = new Docker(managerOptions());

/** The engine of local node `n` (1-3), to look at its containers. */
export const nodeEngine = (n: number): Docker => new Docker({ socketPath: `/run/openenv-rx-mn/node${n}.sock` });

export interface ClusterNode {
  id: string;
  hostname: string;
  addr: string;
  state: string;
  availability: string;
  labels: Record<string, string>;
}

interface NodeRecord {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Availability?: string; Labels?: Record<string, string> };
  Status?: { State?: string; Addr?: string };
}

export async function clusterNodes(docker: Docker = manager): Promise<ClusterNode[]> {
  const nodes = (await docker.listNodes()) as NodeRecord[];
  return nodes
    .map((n) => ({
      id: n.ID,
      hostname: n.Description?.Hostname ?? '',
      addr: n.Status?.Addr ?? '',
      state: n.Status?.State ?? '',
      availability: n.Spec?.Availability ?? '',
      labels: n.Spec?.Labels ?? {},
    }))
    .sort((a, b) => a.hostname.localeCompare(b.hostname));
}

/** A manager that answers, with at least three ready nodes. */
export async function clusterReachable(): Promise<boolean> {
  try {
    const ready = (await clusterNodes()).filter((n) => n.state === 'ready');
    return ready.length >= 3;
  } catch {
    return false;
  }
}

/**
 * `describe` for suites needing the cluster: runs when it is up, and also under CI=true (where
 * the suite's beforeAll then FAILS, naming the fix); otherwise skips with a message.
 */
export function describeWithCluster(available: boolean, what = 'multi-node swarm tests'): jest.Describe {
  if (available || process.env['CI']) return describe;
  console.warn(`No multi-node swarm (sudo scripts/multinode-swarm.sh up): skipping ${what} (with CI=true they fail instead)`);
  return describe.skip;
}

/** beforeAll's check: throws (so CI fails) when the cluster is not there. */
export async function requireCluster(): Promise<ClusterNode[]> {
  const nodes = await clusterNodes().catch((error: unknown) => {
    throw new Error(`The multi-node swarm's manager does not answer (${String(error)}): run scripts/multinode-swarm.sh up`);
  });
  const ready = nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
  if (ready.length < 3) throw new Error(`The multi-node swarm has ${ready.length} ready, active nodes, 3 needed: run scripts/multinode-swarm.sh up`);
  return ready;
}

/** The fixture image's tag the script loaded into every node (or OPENENV_RX_MULTINODE_IMAGE). */
export async function clusterImage(variant: 'fixture' | 'server' = 'server'): Promise<string> {
  const given = process.env['OPENENV_RX_MULTINODE_IMAGE'];
  if (given) return given;
  const { readFile } = await import('node:fs/promises');
  const tags = (await readFile('/run/openenv-rx-mn/images', 'utf8')).trim().split(/\s+/);
  const tag = tags.find((t) => t.startsWith(`openenv-rx-${variant}:`));
  if (!tag) throw new Error(`scripts/multinode-swarm.sh loaded no ${variant} image (${tags.join(' ')})`);
  return tag;
}

/** Runs `scripts/multinode-swarm.sh ARGS` (node faults and their repair). */
export async function clusterScript(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [SCRIPT, ...args], { timeout: 120_000 });
  return stdout;
}

/** Ids of the openenv-rx services this process owns on the manager. */
export async function ourServices(docker: Docker = manager): Promise<string[]> {
  const services = await docker.listServices({ filters: { label: [`${LABEL.managed}=1`, `${LABEL.ownerPid}=${process.pid}`] } });
  return services.map((s) => s.ID);
}

/** Containers of openenv-rx swarm sessions (any state) on local node `n`'s engine. */
export async function sessionContainersOn(n: number): Promise<string[]> {
  const list = await nodeEngine(n).listContainers({ all: true, filters: { label: ['openenv-rx.swarm-session'] } });
  return list.map((c) => c.Id);
}

/** afterAll: removes whatever services this process left. */
export async function removeOurServices(): Promise<void> {
  const ids = await ourServices().catch(() => [] as string[]);
  await Promise.all(ids.map((id) => manager.getService(id).remove().catch(() => undefined)));
}

/** The node (by address) serving a session's url. */
export function nodeOfUrl(nodes: readonly ClusterNode[], url: string): ClusterNode | undefined {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return nodes.find((n) => n.addr === host || n.labels['openenv-rx-mn.ipv6'] === host);
}
