import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import type { EnvSession } from '../src/session/types.js';
import type { AnyToolSchemas, ToolSchemas } from '../src/tools/tool-types.js';
import { holdFirst } from './hold-first.js';

/** A session taken out of its Observable, with the unsubscribe that ends it. */
export interface OpenSession<A, O, S, T extends ToolSchemas = AnyToolSchemas> {
  session: EnvSession<A, O, S, T>;
  /** Unsubscribes (closes the transport, stops the runtime); registered with the bench cleanup. */
  close(): Promise<void>;
}

/** Subscribes to `session$` and resolves with the first session; the subscription stays open until `close()`. */
export async function openSession<A, O, S, T extends ToolSchemas = AnyToolSchemas>(session$: Observable<EnvSession<A, O, S, T>>): Promise<OpenSession<A, O, S, T>> {
  const { value, close } = await holdFirst(session$);
  return { session: value, close };
}

/**
 * `n` sequential `session.step(action)` calls, each subscribed when the previous one completed
 * (what `steps()`/`concatMap` does, without buffering `n` actions up front). Per-step latency (ms)
 * goes to `latencies[0..n)` when given. Resolves with `n`.
 */
export function sessionSteps<A>(session: EnvSession<A, unknown, unknown>, action: A, n: number, latencies?: Float64Array): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = 0;
    let sentAt = 0;
    const observer = {
      next: () => {
        if (latencies) latencies[done] = performance.now() - sentAt;
      },
      error: reject,
      complete: () => {
        if (++done === n) resolve(n);
        else next();
      },
    };
    const next = (): void => {
      sentAt = performance.now();
      session.step(action).subscribe(observer);
    };
    if (n <= 0) resolve(0);
    else next();
  });
}

/**
 * `count` episodes by hand on one session: a `reset` (fresh `episodeId`, as `runEpisode` sends),
 * then `steps` sequential `step(action)` calls, each subscribed when the previous completed: the
 * loop a user writes without the episode operators. Resolves with the results, count × (steps + 1).
 */
export function sessionEpisodes<A>(session: EnvSession<A, unknown, unknown>, action: A, count: number, steps: number): Promise<number> {
  const per = steps + 1;
  const total = count * per;
  return new Promise((resolve, reject) => {
    let done = 0;
    const observer = {
      error: reject,
      complete: () => {
        if (++done === total) resolve(total);
        else next();
      },
    };
    const next = (): void => {
      const request$ = done % per === 0 ? session.reset({ episodeId: randomUUID() }) : session.step(action);
      request$.subscribe(observer);
    };
    if (total <= 0) resolve(0);
    else next();
  });
}
