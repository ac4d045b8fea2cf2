import { createWriteStream } from 'node:fs';
import { finished, type Writable } from 'node:stream';
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { EpisodeStep } from '../session/types.js';
import { messageOf } from '../internal/error-context.js';
import { TrajectoryWriteError } from '../errors/io-errors.js';

/** Options of `recordTrajectory(pathOrStream, options)`. */
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
  /** The failure that ended the episode on this step (see `EpisodeStep.error`); null on every other line. */
  error: { code: string; cause: string | null; stepUnknown: boolean; message: string } | null;
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
 * - A `Writable` may be shared by many subscriptions (stdout, one log for parallel runs): the
 *   listeners a subscription adds to it are removed when it completes, errors or is
 *   unsubscribed (after the flush, when it ends the sink), so they never pile up.
 *
 * @example <caption>doctest: with env (an open session)</caption>
 * env.episodes(policy, { count: 10, seed: 0 })
 *   .pipe(concatAll(), recordTrajectory('grid-world.jsonl'))
 *   .subscribe({ complete: () => console.log('trajectories written') });
 */
export function recordTrajectory<T extends EpisodeStep<unknown, unknown>>(
  sink: string | Writable,
  options: RecordTrajectoryOptions = {},
): MonoTypeOperatorFunction<T> {
  const shouldEnd = options.end ?? true;
  return (source) =>
    new Observable<T>((subscriber) => {
      const owned = typeof sink === 'string';
      const context = owned ? { path: sink } : {};
      const out = owned ? createWriteStream(sink, { flags: options.append ? 'a' : 'w' }) : sink;
      const fail = (what: string, cause: unknown) =>
        subscriber.error(new TrajectoryWriteError(`Could not ${what} the trajectory: ${messageOf(cause)}`, context, { cause }));
      const onError = (cause: unknown) => fail('write', cause);
      out.on('error', onError);
      // A late 'error' of a stream we opened must never crash the process: it keeps a listener
      // (one per subscription, dropped with the stream). A Writable we were given may be shared
      // by many subscriptions: our listeners leave it once we are done with it.
      if (owned) out.on('error', noop);
      let detached = false;
      const detach = () => {
        if (detached) return;
        detached = true;
        out.off('error', onError);
      };
      /** Ends the sink (when asked), detaching once it is flushed; then `forward` or `onFlushError`. */
      const endSink = (forward: () => void, onFlushError: (cause: unknown) => void) => {
        if (!shouldEnd) {
          detach();
          return forward();
        }
        out.end();
        const cleanup = finished(out, (cause) => {
          cleanup();
          detach();
          if (cause) onFlushError(cause);
          else forward();
        });
      };
      let ended = false;

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
        error: (error: unknown) => {
          ended = true;
          endSink(() => subscriber.error(error), () => subscriber.error(error));
        },
        complete: () => {
          ended = true;
          endSink(() => subscriber.complete(), (cause) => fail('flush', cause));
        },
      });
      return () => {
        subscription.unsubscribe();
        // Unsubscribed (or failed) before the source ended: end the sink in the background.
        if (!ended) {
          ended = true;
          endSink(noop, noop);
        }
      };
    });
}

const noop = (): void => undefined;

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
    error: step.error ? failureOf(step.error) : null,
  };
}

function failureOf(error: NonNullable<EpisodeStep<unknown, unknown>['error']>): NonNullable<TrajectoryLine['error']> {
  const cause = (error.cause as { code?: unknown } | undefined)?.code;
  return { code: error.code, cause: typeof cause === 'string' ? cause : null, stepUnknown: error.stepUnknown, message: error.message };
}
