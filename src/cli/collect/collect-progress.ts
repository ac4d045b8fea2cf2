import type { CollectProgress } from '../../fleet/collect.js';
import { ProgressBar, type ProgressState } from '../format/progress-bar.js';
import { formatNumber } from '../format/table.js';

/**
 * `collect`'s progress line: episodes done of this run's plan, failures, episodes/s and the mean
 * return. Redrawn in place on a TTY, one line per 10% elsewhere (as `rollout`'s).
 */
export class CollectProgressBar extends ProgressBar {
  private failed = 0;
  private meanReturn = Number.NaN;

  show(progress: CollectProgress, force = false): void {
    this.failed = progress.failed;
    this.meanReturn = progress.meanReturn;
    this.update({ done: progress.recorded + progress.failed, total: progress.toRun, steps: progress.steps, elapsedMs: progress.elapsedMs }, force);
  }

  override render(state: ProgressState, fraction: number): string {
    const width = 24;
    const filled = Math.round(fraction * width);
    const perSecond = state.elapsedMs > 0 ? (state.done * 1000) / state.elapsedMs : 0;
    const mean = Number.isNaN(this.meanReturn) ? '-' : formatNumber(Number(this.meanReturn.toPrecision(6)));
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${state.done}/${state.total} episodes  ${this.failed} failed  ${perSecond.toFixed(2)} episodes/s  mean return ${mean}  ${state.steps} steps`;
  }
}
