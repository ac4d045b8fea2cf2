import type { Writable } from 'node:stream';

export interface ProgressState {
  done: number;
  total: number;
  steps: number;
  elapsedMs: number;
  /** Sessions running now, of `sessions` asked for (shown when given). */
  running?: number;
  sessions?: number;
  /** Capacity refusals so far (shown when > 0). */
  refused?: number;
  /** Sessions lost to a fault and replaced so far (shown when > 0). */
  lost?: number;
}

/**
 * Progress for long rollouts. On a TTY it redraws one line in place; elsewhere (CI logs, pipes)
 * it prints a line at every 10% (and when the running sessions change) so logs stay short. Writes to stderr by default so `--json`
 * output on stdout stays machine-readable.
 */
export class ProgressBar {
  private lastDecile = -1;
  private lastDraw = 0;
  private lastRunning: number | undefined;

  constructor(
    private readonly out: Writable & { isTTY?: boolean; columns?: number } = process.stderr,
    private readonly label = 'episodes',
  ) {}

  update(state: ProgressState, force = false): void {
    const fraction = state.total > 0 ? Math.min(1, state.done / state.total) : 0;
    if (this.out.isTTY) {
      const now = Date.now();
      if (!force && now - this.lastDraw < 80 && state.done < state.total) return;
      this.lastDraw = now;
      this.out.write(`\r${this.render(state, fraction)}\x1b[K`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile > this.lastDecile || force || state.running !== this.lastRunning) {
      this.lastDecile = decile;
      this.lastRunning = state.running;
      this.out.write(`${this.render(state, fraction)}\n`);
    }
  }

  /** A line of its own, above the progress (on a TTY the in-place line is cleared first and redrawn by the next update). */
  note(line: string): void {
    this.out.write(this.out.isTTY ? `\r\x1b[K${line}\n` : `${line}\n`);
    this.lastDraw = 0;
  }

  /** Ends the in-place line on a TTY. */
  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }

  render(state: ProgressState, fraction: number): string {
    const width = 24;
    const filled = Math.round(fraction * width);
    const rate = state.elapsedMs > 0 ? Math.round((state.steps * 1000) / state.elapsedMs) : 0;
    const sessions = state.sessions !== undefined ? `  ${state.running ?? 0}/${state.sessions} sessions running` : '';
    const refused = state.refused ? `  ${state.refused} refused` : '';
    const lost = state.lost ? `  ${state.lost} lost` : '';
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${state.done}/${state.total} ${this.label}${sessions}${refused}${lost}  ${state.steps} steps  ${rate} steps/s`;
  }
}
