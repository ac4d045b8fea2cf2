import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { sessionLabels } from '../src/runtime/docker/container-labels.js';
import { bareReset, containerGone, healthy } from './bare-container.js';
import { onCleanup } from './cleanup.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface BareTask {
  NodeID: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string }; PortStatus?: { Ports?: Array<{ TargetPort?: number; PublishedPort?: number }> } };
}

/** A service the baseline started, with the removal that ends it. */
export interface BareService {
  url: string;
  /** `service remove`, then `inspect` on the task's container every `pollMs` until 404. */
  remove(): Promise<void>;
}

/**
 * The swarm baseline: what a hand-written dockerode client does. `createService` (one replica,
 * restart none, host-mode port, the same owner labels so a crash is reaped), `listTasks` for the
 * service every `pollMs` until its task runs, `getNode` for the node's address, `/health` every
 * `pollMs`, one bare `/ws` reset with the bearer token. No option checks, no typed errors, no
 * shared poller, no WebSocket probe.
 */
export async function bareServiceToFirstReset(docker: Docker, imageId: string, pollMs: number): Promise<BareService> {
  const token = randomUUID();
  const service = await docker.createService({
    Name: `openenv-rx-bare-${randomUUID()}`,
    Labels: sessionLabels(randomUUID()),
    TaskTemplate: { ContainerSpec: { Image: imageId, Env: [`OPENENV_TOKEN=${token}`], StopGracePeriod: 2e9 }, RestartPolicy: { Condition: 'none' } },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8000, PublishMode: 'host' }] },
  });
  let removed = false;
  const cleanup = onCleanup(() => (removed ? undefined : service.remove().catch(() => undefined)));
  const deadline = Date.now() + 60_000;
  let task: BareTask | undefined;
  for (;;) {
    [task] = (await docker.listTasks({ filters: { service: [service.id] } })) as BareTask[];
    if (task?.Status.State === 'running') break;
    if (task && ['failed', 'rejected', 'shutdown', 'complete'].includes(task.Status.State)) throw new Error(`bare service: task ${task.Status.State}: ${task.Status.Err}`);
    if (Date.now() > deadline) throw new Error(`bare service: task not running after 60 s (${task?.Status.State})`);
    await sleep(pollMs);
  }
  const node = (await docker.getNode(task.NodeID).inspect()) as { Status: { Addr: string } };
  const port = task.Status.PortStatus?.Ports?.find((p) => p.TargetPort === 8000)?.PublishedPort;
  const url = `http://${node.Status.Addr}:${port}`;
  while (!(await healthy(url))) {
    if (Date.now() > deadline) throw new Error(`bare service: ${url}/health not healthy after 60 s`);
    await sleep(pollMs);
  }
  await bareReset(url, { authorization: `Bearer ${token}` });
  const containerId = task.Status.ContainerStatus?.ContainerID ?? '';
  return {
    url,
    remove: async () => {
      await service.remove();
      removed = true;
      void cleanup(); // unregisters only: the service is gone
      const until = Date.now() + 60_000;
      for (;;) {
        if (await containerGone(docker, containerId)) return;
        if (Date.now() > until) throw new Error(`bare service: container ${containerId.slice(0, 12)} still there 60 s after service remove`);
        await sleep(pollMs);
      }
    },
  };
}
