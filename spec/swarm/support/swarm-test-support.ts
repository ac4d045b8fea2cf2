import type Docker from 'dockerode';
import { LABEL } from '../../../src/runtime/docker/container-labels.js';
import { isSwarmManager } from '../../../src/runtime/swarm/swarm-manager.js';
import { dockerReachable } from '../../fixtures/docker-test-support.js';

/** True when an engine answers and is an active swarm manager. */
export async function swarmReachable(docker: Docker): Promise<boolean> {
  return (await dockerReachable(docker)) && (await isSwarmManager(docker));
}

/** Ids of the openenv-rx services owned by the given pids. */
export async function servicesOwnedBy(docker: Docker, pids: number[]): Promise<string[]> {
  const services = await docker.listServices({ filters: { label: [`${LABEL.managed}=1`] } });
  return services.filter((s) => pids.includes(Number(s.Spec?.Labels?.[LABEL.ownerPid]))).map((s) => s.ID);
}

/** Does this service exist? */
export async function serviceExists(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getService(id).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Containers (any state) of these services on this engine's node. */
export async function containersOfServices(docker: Docker, serviceIds: readonly string[]): Promise<string[]> {
  const lists = await Promise.all(
    serviceIds.map((id) => docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${id}`] } })),
  );
  return lists.flat().map((c) => c.Id);
}

/** afterAll cleanup: removes whatever services these pids left behind. Returns how many. */
export async function removeServicesOwnedBy(docker: Docker, pids: number[]): Promise<number> {
  const ids = await servicesOwnedBy(docker, pids);
  await Promise.all(ids.map((id) => docker.getService(id).remove().catch(() => undefined)));
  return ids.length;
}

/** The tasks of a service as the engine reports them (`[]` once the service is gone). */
export async function tasksOf(docker: Docker, serviceId: string): Promise<Array<{ ID: string; Status: { State: string; ContainerStatus?: { ContainerID?: string } } }>> {
  try {
    return (await docker.listTasks({ filters: { service: [serviceId] } })) as Array<{ ID: string; Status: { State: string } }>;
  } catch {
    return [];
  }
}
