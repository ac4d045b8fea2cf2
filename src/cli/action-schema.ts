import { firstValueFrom } from 'rxjs';
import { hasCode, messageOf } from '../internal/error-context.js';
import type { EnvSession } from '../session/types.js';

/** The action schema of a run, learnt from its first session (`GET /schema`): what `--policy random` samples from. */
export interface DeferredSchema {
  promise: Promise<Record<string, unknown>>;
  resolve(schema: Record<string, unknown>): void;
  reject(error: unknown): void;
  /**
   * A session could not answer (refused for capacity, lost, timed out): the next session asks
   * again. Rejects the schema with `error` as cause if none has answered `waitMs` after the first
   * such failure.
   */
  retryLater(url: string, error: unknown): void;
  /** The schema once known (to explain a rejected action). */
  current(): Record<string, unknown> | undefined;
}

/** How long the schema may stay unknown while sessions fail to answer for it (capacity, faults). */
export const SCHEMA_WAIT_MS = 120_000;

/**
 * The action schema, learnt from the first session that answers `GET /schema`; rejected for a
 * server that answers it with an HTTP error (404: a generation-A server) or a malformed body, or
 * when no session could ask within `waitMs` (sessions refused for capacity or lost meanwhile
 * retry it: the run's own capacity wait decides first). `setTimer` is injectable for tests; the
 * default timer never keeps the process alive.
 */
export function deferredSchema(
  options: { waitMs?: number; setTimer?: (fire: () => void, ms: number) => () => void } = {},
): DeferredSchema {
  const { waitMs = SCHEMA_WAIT_MS, setTimer = unrefTimer } = options;
  let value: Record<string, unknown> | undefined;
  let settled = false;
  let cancelWait: (() => void) | undefined;
  let resolve!: (schema: Record<string, unknown>) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<Record<string, unknown>>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // surfaced through the policy, never unhandled
  const settle = () => {
    settled = true;
    cancelWait?.();
    cancelWait = undefined;
  };
  let last: { url: string; error: unknown } | undefined;
  return {
    promise,
    resolve: (schema: Record<string, unknown>) => {
      value ??= schema;
      settle();
      resolve(schema);
    },
    reject: (error: unknown) => {
      settle();
      reject(error);
    },
    retryLater(url: string, error: unknown) {
      last = { url, error };
      if (settled || cancelWait) return;
      cancelWait = setTimer(() => {
        settle();
        const { url: where, error: cause } = last!;
        reject(new Error(`--policy random needs the action schema from GET /schema of ${where}: no session could ask for it within ${waitMs} ms (last: ${messageOf(cause)})`, { cause }));
      }, waitMs);
    },
    current: () => value,
  };
}

function unrefTimer(fire: () => void, ms: number): () => void {
  const timer = setTimeout(fire, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * The first session that answers `/schema` gives the action schema. The server's own answer
 * decides at once: an HTTP 404 (405) is a server without `/schema` (generation A), any other HTTP
 * error or a malformed body is reported as it is. A failure of the session itself (refused with
 * CAPACITY_REACHED because another client holds the slot, its socket lost, a timeout) says nothing
 * about `/schema`: the next session asks again (`retryLater`).
 */
export function requestSchema(session: EnvSession, schema: Pick<DeferredSchema, 'resolve' | 'reject' | 'current' | 'retryLater'>): void {
  if (schema.current()) return;
  firstValueFrom(session.schema()).then(
    (s) => schema.resolve(s.action),
    (error: unknown) => {
      const status = (error as { status?: unknown }).status;
      if (hasCode(error, 'ERR_HTTP_STATUS') && (status === 404 || status === 405)) {
        schema.reject(new Error(`--policy random needs the action schema from GET /schema, which ${session.url} does not serve (HTTP ${status}: a generation-A server?)`, { cause: error }));
      } else if (hasCode(error, 'ERR_HTTP_STATUS') || hasCode(error, 'ERR_PROTOCOL')) {
        schema.reject(new Error(`--policy random needs the action schema from GET /schema of ${session.url}: ${messageOf(error)}`, { cause: error }));
      } else {
        schema.retryLater(session.url, error);
      }
    },
  );
}
