import type { SchedulerLike } from 'rxjs';

/** Options of `stepTimeout` and `episodeTimeout`. */
export interface TimeoutOptions {
  /** Env name written into the error's context (operators do not know which env they watch). */
  env?: string;
  /** Default `asyncScheduler` (virtual time inside `TestScheduler.run`). */
  scheduler?: SchedulerLike;
}
