import { createWriteStream } from 'node:fs';
import { finished, type Writable } from 'node:stream';
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { EpisodeStep } from '../session/types.js';
import { messageOf } from '../internal/error-context.js';
import { TrajectoryWriteError } from '../errors/io-errors.js';

export interface RecordTrajectoryOptions {
  /** End the sink when the stream ends. Default true; pass false for a shared Writable (stdout). */
  end?: boolean;
  /** For a path: append instead of truncating. Default false. */
  append?: boolean;
}

/** One JSONL line. Every key is always present (`null` when absent) so the file loads as a table. */
export interface TrajectoryLine {
  sessionIndex: number | null;
  episodeId: string;
  episodeIndex: number;
  seed: number | null;
  index: number;
  kind: 'reset' | 'step';
  action: unknown;
  observation: unknown;
  reward: number | null;
  done: boolean;
  truncated: boolean;
  latencyMs: number;
  timestamp: number;
}

/**
 * Writes every `EpisodeStep` passing through as one JSON line, and passes it on unchanged (like
 * `tap`). `sink` is a file path (opened with `fs.createWriteStream` on subscribe, one file per
 * subscription) or a `Writable`.
 *
 * - Lines are streamed as they come, never buffered for the whole run. An Observable cannot be
 *   paused, so when `write()` returns false the line waits in the Writable's own buffer instead of
 *   the pipeline waiting for 'drain' (which could deadlock an agent loop that is itself awaiting
 *   downstream); an env step takes far longer than a line takes to write, so that buffer stays small.
 * - On complete or error the sink is ended and the notification is forwarded only once every line
 *   is flushed (`stream.finished`), so a subscriber may read the file right away. On unsubscribe
 *   the sink is ended too (teardown is synchronous, the flush then completes in the background).
 * - An open/write/flush failure, or a step that cannot be serialised, errors the stream with a
 *   `TrajectoryWriteError` (`cause` kept, `context.path` set for paths).
 *
 * @example
 * env.episodes(policy, { count: 10, seed: 0 })
 *   .pipe(concatAll(), recordTrajectory('runs/grid-world.jsonl'))
 *   .subscribe({ complete: () => console.log('trajectories written') });
 */
export function recordTrajectory<T extends EpisodeStep<unknown, unknown>>(
  sink: string | Writable,
  options: RecordTrajectoryOptions = {},
): MonoTypeOperatorFunction<T> {
  const shouldEnd = options.end ?? true;
  return (source) =>
    new Observable<T>((subscriber) => {
      const context = typeof sink === 'string' ? { path: sink } : {};
      const out = typeof sink === 'string' ? createWriteStream(sink, { flags: options.append ? 'a' : 'w' }) : sink;
      const fail = (what: string, cause: unknown) =>
        subscriber.error(new TrajectoryWriteError(`Could not ${what} the trajectory: ${messageOf(cause)}`, context, { cause }));
      // Stays attached after teardown: a late 'error' event must never crash the process.
      out.on('error', (cause: unknown) => fail('write', cause));
      let ended = false;
      const endThen = (forward: () => void, onFlushError: (cause: unknown) => void) => {
        ended = true;
        if (!shouldEnd) return forward();
        out.end();
        finished(out, (cause) => (cause ? onFlushError(cause) : forward()));
      };

      const subscription = source.subscribe({
        next: (step) => {
          let line: string;
          try {
            line = `${JSON.stringify(toLine(step))}\n`;
          } catch (cause) {
            fail('serialise a step of', cause);
            return;
          }
          out.write(line);
          subscriber.next(step);
        },
        // The source's own error matters more than a failed flush: forward it either way.
        error: (error: unknown) => endThen(() => subscriber.error(error), () => subscriber.error(error)),
        complete: () => endThen(() => subscriber.complete(), (cause) => fail('flush', cause)),
      });
      return () => {
        subscription.unsubscribe();
        if (!ended && shouldEnd) out.end();
      };
    });
}

function toLine(step: EpisodeStep<unknown, unknown>): TrajectoryLine {
  const sessionIndex = (step as { sessionIndex?: unknown }).sessionIndex;
  return {
    sessionIndex: typeof sessionIndex === 'number' ? sessionIndex : null,
    episodeId: step.episodeId,
    episodeIndex: step.episodeIndex,
    seed: step.seed ?? null,
    index: step.index,
    kind: step.kind,
    action: step.action ?? null,
    observation: step.observation,
    reward: step.reward,
    done: step.done,
    truncated: step.truncated,
    latencyMs: step.latencyMs,
    timestamp: step.timestamp,
  };
}
