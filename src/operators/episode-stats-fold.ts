import type { EpisodeStep } from '../session/types.js';
import type { EpisodeStats } from './episode-stats.js';

interface Running {
  stats: EpisodeStats;
  startedAt: number;
}

/**
 * The per-episode fold shared by `episodeStats()` (which emits the stats) and
 * `withEpisodeStats()` (which attaches them to the step that ends the episode). Steps are
 * grouped by `sessionIndex` + `episodeId`, and a `reset` starts a new group. `ended` is called
 * with the stats of each episode that ends, and the step that ended it (`undefined` when the
 * episode was cut: reset again under the same id, or still open at `flush`).
 */
export class EpisodeStatsFold<A, O> {
  private readonly open = new Map<string, Running>();

  constructor(private readonly ended: (stats: EpisodeStats, endingStep: EpisodeStep<A, O> | undefined) => void) {}

  add(step: EpisodeStep<A, O>): void {
    const sessionIndex = (step as { sessionIndex?: unknown }).sessionIndex;
    const key = `${typeof sessionIndex === 'number' ? sessionIndex : ''}/${step.episodeId}`;
    let running = this.open.get(key);
    if (running && step.kind === 'reset') this.end(key, running, undefined); // the same id reset again: the old one was cut
    if (!running || step.kind === 'reset') {
      running = {
        startedAt: step.timestamp - step.latencyMs,
        stats: {
          episodeId: step.episodeId,
          episodeIndex: step.episodeIndex,
          ...(step.seed !== undefined && { seed: step.seed }),
          ...(typeof sessionIndex === 'number' && { sessionIndex }),
          return: 0,
          length: 0,
          durationMs: 0,
          truncated: false,
          done: false,
        },
      };
      this.open.set(key, running);
    }
    const { stats } = running;
    stats.durationMs = step.timestamp - running.startedAt;
    if (step.error) {
      // The step that failed was never answered: the episode ends here, neither done nor cut.
      stats.error = step.error;
      this.end(key, running, step);
      return;
    }
    if (step.kind === 'step') {
      stats.length += 1;
      if (step.reward !== null) stats.return += step.reward;
    }
    stats.done = step.done;
    stats.truncated = step.truncated;
    if (step.done || step.truncated) this.end(key, running, step);
  }

  /** Ends every episode still open (the source completed), in the order they started. */
  flush(): void {
    for (const [key, running] of [...this.open]) this.end(key, running, undefined);
  }

  private end(key: string, running: Running, endingStep: EpisodeStep<A, O> | undefined): void {
    this.open.delete(key);
    this.ended(running.stats, endingStep);
  }
}
