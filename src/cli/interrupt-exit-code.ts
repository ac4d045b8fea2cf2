import { constants } from 'node:os';

/** The signals that stop a run in an orderly way (sessions closed, containers removed, summary printed). */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit code of a run stopped by `signal`, as shells report a death by it: 130 for SIGINT, 143 for SIGTERM. */
export function interruptExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}
