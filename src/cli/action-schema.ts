import { firstValueFrom } from 'rxjs';
import type { EnvSession } from '../session/types.js';

/** The action schema of a run, learnt from its first session (`GET /schema`): what `--policy random` samples from. */
export interface DeferredSchema {
  promise: Promise<Record<string, unknown>>;
  resolve(schema: Record<string, unknown>): void;
  reject(error: unknown): void;
  /** The schema once known (to explain a rejected action). */
  current(): Record<string, unknown> | undefined;
}

/** The action schema, learnt from the first session; rejected for a server without `/schema`. */
export function deferredSchema(): DeferredSchema {
  let value: Record<string, unknown> | undefined;
  let resolve!: (schema: Record<string, unknown>) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<Record<string, unknown>>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // surfaced through the policy, never unhandled
  return {
    promise,
    resolve: (schema: Record<string, unknown>) => {
      value ??= schema;
      resolve(schema);
    },
    reject,
    current: () => value,
  };
}

/** The first session that answers `/schema` gives the action schema; a server without it rejects it. */
export function requestSchema(session: EnvSession, schema: Pick<DeferredSchema, 'resolve' | 'reject' | 'current'>): void {
  if (schema.current()) return;
  firstValueFrom(session.schema()).then(
    (s) => schema.resolve(s.action),
    (error: unknown) =>
      schema.reject(new Error(`--policy random needs the action schema from GET /schema, which ${session.url} does not serve (a generation-A server?)`, { cause: error })),
  );
}
