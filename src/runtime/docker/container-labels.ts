import os from 'node:os';

/** Every container openenv-rx starts carries these labels; the reaper selects on them. */
export const LABEL = {
  managed: 'openenv-rx',
  session: 'openenv-rx.session',
  ownerPid: 'openenv-rx.owner-pid',
  ownerHost: 'openenv-rx.owner-host',
  created: 'openenv-rx.created',
} as const;

/** `label` filter value selecting every container openenv-rx started. */
export const MANAGED_FILTER = `${LABEL.managed}=1`;

/** Labels of a new container owned by this process. */
export function sessionLabels(sessionId: string, now = new Date()): Record<string, string> {
  return {
    [LABEL.managed]: '1',
    [LABEL.session]: sessionId,
    [LABEL.ownerPid]: String(process.pid),
    [LABEL.ownerHost]: os.hostname(),
    [LABEL.created]: now.toISOString(),
  };
}
