import type { Writable } from 'node:stream';

export interface ProgressState {
  done: number;
  total: number;
  steps: number;
  elapsedMs: number;
}

/**
 * Progress for long rollouts. On a TTY it redraws one line in place; elsewhere (CI logs, pipes)
 * it prints a line at every 10% so logs stay short. Writes to stderr by default so `--json`
 * output on stdout stays machine-readable.
 */
export class ProgressBar {
  private lastDecile = -1;
  private lastDraw = 0;

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
    if (decile > this.lastDecile || force) {
      this.lastDecile = decile;
      this.out.write(`${this.render(state, fraction)}\n`);
    }
  }

  /** Ends the in-place line on a TTY. */
  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }

  render(state: ProgressState, fraction: number): string {
    const width = 24;
    const filled = Math.round(fraction * width);
    const rate = state.elapsedMs > 0 ? Math.round((state.steps * 1000) / state.elapsedMs) : 0;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${state.done}/${state.total} ${this.label}  ${state.steps} steps  ${rate} steps/s`;
  }
}
