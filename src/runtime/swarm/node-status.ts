import type Docker from 'dockerode';

/** What an error says about the node a task was on. */
export interface NodeStatus {
  hostname: string;
  addr: string;
  /** `ready`, `down`, `disconnected`, `unknown`. */
  state: string;
  /** Why, when the manager says (`heartbeat failure`). */
  message: string;
  /** `active`, `pause`, `drain`. */
  availability: string;
}

interface NodeInspect {
  Description?: { Hostname?: string };
  Spec?: { Availability?: string };
  Status?: { State?: string; Message?: string; Addr?: string };
}

/**
 * The node `nodeId` as the manager sees it, for an error's message and context; `undefined` when
 * it cannot be inspected (removed from the swarm, manager unreachable): errors are built anyway.
 */
export async function nodeStatus(docker: Docker, nodeId: string | undefined): Promise<NodeStatus | undefined> {
  if (!nodeId) return undefined;
  try {
    const node = (await docker.getNode(nodeId).inspect()) as NodeInspect;
    return {
      hostname: node.Description?.Hostname ?? '',
      addr: node.Status?.Addr ?? '',
      state: node.Status?.State ?? 'unknown',
      message: node.Status?.Message ?? '',
      availability: node.Spec?.Availability ?? 'unknown',
    };
  } catch {
    return undefined;
  }
}

/** True when the manager no longer hears from the node: its tasks cannot report anything. */
export const nodeLost = (node: NodeStatus | undefined): boolean => node !== undefined && node.state !== 'ready';
