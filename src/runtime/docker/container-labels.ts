import { currentOwner } from '../reaper/process-identity.js';

/** Every container openenv-rx starts carries these labels; the reaper selects on them. */
export const LABEL = {
  managed: 'openenv-rx',
  session: 'openenv-rx.session',
  ownerPid: 'openenv-rx.owner-pid',
  /** The owner's start time (clock ticks since boot, Linux): a recycled owner pid does not look alive. */
  ownerStart: 'openenv-rx.owner-start',
  ownerHost: 'openenv-rx.owner-host',
  created: 'openenv-rx.created',
} as const;

/** `label` filter value selecting every container openenv-rx started. */
export const MANAGED_FILTER = `${LABEL.managed}=1`;

/** Labels of a new container owned by this process. */
export function sessionLabels(sessionId: string, now = new Date()): Record<string, string> {
  const owner = currentOwner();
  return {
    [LABEL.managed]: '1',
    [LABEL.session]: sessionId,
    [LABEL.ownerPid]: String(owner.pid),
    ...(owner.startTime !== undefined && { [LABEL.ownerStart]: String(owner.startTime) }),
    [LABEL.ownerHost]: owner.host,
    [LABEL.created]: now.toISOString(),
  };
}

/** `label` filters selecting the containers of one owner (what the exit reaper removes). */
export function ownerFilters(owner: { pid: number; startTime?: number; host: string }): string[] {
  return [
    MANAGED_FILTER,
    `${LABEL.ownerPid}=${owner.pid}`,
    `${LABEL.ownerHost}=${owner.host}`,
    ...(owner.startTime !== undefined ? [`${LABEL.ownerStart}=${owner.startTime}`] : []),
  ];
}
