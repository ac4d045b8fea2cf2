import { DockerError } from '../../errors/index.js';
import { currentOwner, isProcessAlive } from '../reaper/process-identity.js';
import type { ReapKindResult } from '../reaper/reap-result.js';
import { dockerStatus } from './docker-client.js';
import { LABEL } from './container-labels.js';

/**
 * An orphan: started on this host by a process that no longer runs: gone, a zombie, or its pid
 * now names a process started at another time (the `owner-start` label, Linux).
 */
export function isOrphan(labels: Record<string, string>, hostname: string): boolean {
  if (labels[LABEL.ownerHost] !== hostname) return false; // another machine's pid means nothing here
  const start = labels[LABEL.ownerStart];
  return !isProcessAlive({ pid: Number(labels[LABEL.ownerPid]), ...(start !== undefined && { startTime: Number(start) }) });
}

/** One kind of labelled engine object (containers, swarm services) as the sweep sees it. */
export interface LabelledKind<T> {
  /** `container`, `service`: for the error message. */
  noun: string;
  id(item: T): string;
  labels(item: T): Record<string, string>;
  remove(id: string): Promise<unknown>;
  /** Engine statuses that mean "already gone or being removed by its owner": skipped, not failed. */
  gone: readonly number[];
}

/**
 * Removes the items whose owner (labels) is dead on this host, or every item with `all`; keeps
 * the rest. Tries every item, then rejects with one `DockerError` listing what could not be removed.
 */
export async function reapLabelled<T>(items: readonly T[], kind: LabelledKind<T>, all = false): Promise<ReapKindResult> {
  const hostname = currentOwner().host;
  const removed: string[] = [];
  const failed: string[] = [];
  let kept = 0;
  for (const item of items) {
    const id = kind.id(item);
    if (!all && !isOrphan(kind.labels(item), hostname)) {
      kept++;
      continue;
    }
    try {
      await kind.remove(id);
      removed.push(id);
    } catch (error) {
      const status = dockerStatus(error);
      if (status !== undefined && kind.gone.includes(status)) continue;
      failed.push(`${id.slice(0, 12)}: ${(error as Error).message}`);
    }
  }
  if (failed.length) {
    throw new DockerError(`Could not remove ${failed.length} orphan ${kind.noun}(s): ${failed.join('; ')}`, { removed, failed });
  }
  return { removed, kept };
}
