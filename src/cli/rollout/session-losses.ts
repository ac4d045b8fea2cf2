import type { RolloutSessionEvent } from '../../operators/rollouts.js';
import { cliErrorParts } from '../cli-error-message.js';

/** What the run's session faults came to: counted for the summary, one line each for the log. */
export interface SessionLossCounts {
  /** Sessions lost to a fault (socket dropped, server, container, task or pod gone, reply timed out). */
  lost: number;
  /** Of those, the ones whose replacement came up (its reset answered). */
  replaced: number;
  /** Lost sessions by the fault's `ERR_` code (`other` for an error of no openenv-rx kind). */
  lostBy: Record<string, number>;
  /** Replacements that failed before their reset was answered (each retried after a pause, or given up). */
  failedReplacements: number;
}

/**
 * Follows a run's session events: counts losses by code and the replacements that came up, and
 * says each loss as one line as it happens (the first line of the error: a pod's events or a
 * container's log tail wait for the run's end).
 */
export class SessionLosses {
  readonly counts: SessionLossCounts = { lost: 0, replaced: 0, lostBy: {}, failedReplacements: 0 };
  /** Slots whose session was lost and whose replacement has not started yet. */
  private readonly awaiting = new Set<number>();

  /** The line to print for `event`, if it is a loss or a slot giving up on faults. */
  see(event: RolloutSessionEvent): string | undefined {
    if (event.type === 'started' && this.awaiting.delete(event.sessionIndex)) this.counts.replaced++;
    if (event.type === 'lost') {
      const { code, message } = cliErrorParts(event.error);
      const why = `${code ? `${code}: ` : ''}${firstLine(message)}`;
      // A slot still waiting for its replacement: that replacement failed, no session was lost.
      if (this.awaiting.has(event.sessionIndex)) {
        this.counts.failedReplacements++;
        return `session ${event.sessionIndex}: its replacement failed (trying again in ${event.delayMs} ms): ${why}`;
      }
      this.counts.lost++;
      this.awaiting.add(event.sessionIndex);
      this.counts.lostBy[code ?? 'other'] = (this.counts.lostBy[code ?? 'other'] ?? 0) + 1;
      return `session ${event.sessionIndex} lost (replacing it in ${event.delayMs} ms): ${why}`;
    }
    if (event.type === 'gave-up' && event.reason === 'fault') {
      this.awaiting.delete(event.sessionIndex);
      const { code, message } = cliErrorParts(event.error);
      return `session ${event.sessionIndex} gave up after ${event.attempts} fault(s) in a row: ${code ? `${code}: ` : ''}${firstLine(message)}`;
    }
    return undefined;
  }
}

const firstLine = (text: string): string => text.split('\n', 1)[0]!;

/** `3 session(s) lost (ERR_K8S_POD_DELETED 2, ERR_TIMEOUT 1), 2 replaced (1 replacement attempt(s) failed)`. */
export function describeLosses(counts: SessionLossCounts): string {
  const by = Object.entries(counts.lostBy)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const failed = counts.failedReplacements > 0 ? ` (${counts.failedReplacements} replacement attempt(s) failed)` : '';
  return `${counts.lost} session(s) lost${by ? ` (${by})` : ''}, ${counts.replaced === 0 ? 'none' : counts.replaced} replaced${failed}`;
}
