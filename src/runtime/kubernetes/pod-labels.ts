import { currentOwner } from '../reaper/process-identity.js';

/** Every pod openenv-rx creates carries these labels; a reaper selects on them. */
export const POD_LABEL = {
  managed: 'openenv-rx',
  session: 'openenv-rx.session',
  ownerPid: 'openenv-rx.owner-pid',
  ownerStart: 'openenv-rx.owner-start',
  ownerHost: 'openenv-rx.owner-host',
} as const;

/** Label values allow only [A-Za-z0-9._-], at most 63 characters, alphanumeric at both ends. */
export const labelValue = (value: string): string =>
  value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'x';

/** Labels of a new pod owned by this process. */
export function podOwnerLabels(sessionId: string): Record<string, string> {
  const owner = currentOwner();
  return {
    [POD_LABEL.managed]: '1',
    [POD_LABEL.session]: labelValue(sessionId),
    [POD_LABEL.ownerPid]: String(owner.pid),
    ...(owner.startTime !== undefined && { [POD_LABEL.ownerStart]: String(owner.startTime) }),
    [POD_LABEL.ownerHost]: labelValue(owner.host),
  };
}

/** Label selector of every pod this process owns (on this host). */
export function ownerSelector(): string {
  const owner = currentOwner();
  return `${POD_LABEL.managed}=1,${POD_LABEL.ownerPid}=${owner.pid},${POD_LABEL.ownerHost}=${labelValue(owner.host)}`;
}
