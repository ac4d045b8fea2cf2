import { ignoreElements, lastValueFrom, materialize, tap, throwError, timeout, type Observable } from 'rxjs';
import { pollUntil } from '../../support/poll.js';

/**
 * The real `process`. Jest hands every test file a copy of `process`: listeners added to the copy
 * never hear the real process's `unhandledRejection` or `warning` events. A function built by the
 * outer realm's `Function` constructor (any host function's constructor) sees the real global.
 */
export const realProcess = new (setTimeout.constructor as FunctionConstructor)('return process')() as NodeJS.Process;

/** Warnings that mean a leak or a failed cleanup. */
const FAILING_WARNINGS = new Set(['MaxListenersExceededWarning']);
const FAILING_WARNING_CODES = new Set(['OPENENV_RX_TEARDOWN']);

export interface FaultGuards {
  /** Unhandled rejections seen since the last `afterEach`. */
  readonly rejections: unknown[];
  /** Leak warnings (MaxListenersExceeded, failed teardowns) seen since the last `afterEach`. */
  readonly warnings: Error[];
}

/**
 * Installs, for the calling suite, listeners on the real process that collect every unhandled
 * rejection and every leak warning; `afterEach` fails the test if any appeared.
 *
 * @example
 * const guards = installFaultGuards(); // at the top of a describe
 */
export function installFaultGuards(): FaultGuards {
  const guards: FaultGuards = { rejections: [], warnings: [] };
  const onRejection = (reason: unknown): void => {
    guards.rejections.push(reason);
  };
  const onWarning = (warning: Error & { code?: string }): void => {
    if (FAILING_WARNINGS.has(warning.name) || FAILING_WARNING_CODES.has(warning.code ?? '')) guards.warnings.push(warning);
  };
  beforeAll(() => {
    realProcess.on('unhandledRejection', onRejection);
    realProcess.on('warning', onWarning);
  });
  afterEach(async () => {
    // A rejection is reported after the microtask queue drains: give it a macrotask.
    await new Promise((resolve) => setImmediate(resolve));
    const rejections = guards.rejections.splice(0);
    const warnings = guards.warnings.splice(0);
    expect(rejections.map(String)).toEqual([]);
    expect(warnings.map(String)).toEqual([]);
  });
  afterAll(() => {
    realProcess.off('unhandledRejection', onRejection);
    realProcess.off('warning', onWarning);
  });
  return guards;
}

/** How an Observable terminated, with the values it emitted before. */
export type Outcome<T> = { kind: 'error'; error: unknown; values: T[]; ms: number } | { kind: 'complete'; values: T[]; ms: number };

/**
 * Subscribes and resolves with how the Observable terminated. Rejects (after unsubscribing it) if
 * it neither errors nor completes within `withinMs`: no fault may leave a pipeline hanging.
 */
export async function outcomeWithin<T>(source$: Observable<T>, withinMs: number): Promise<Outcome<T>> {
  const values: T[] = [];
  const started = performance.now();
  const end = await lastValueFrom(
    source$.pipe(
      tap((value) => values.push(value)),
      ignoreElements(),
      materialize(),
      timeout({ first: withinMs, with: () => throwError(() => new Error(`The Observable did not terminate within ${withinMs} ms`)) }),
    ),
  );
  const ms = performance.now() - started;
  return end.kind === 'E' ? { kind: 'error', error: end.error, values, ms } : { kind: 'complete', values, ms };
}

/** The error the Observable fails with within `withinMs` (throws if it completes or hangs instead). */
export async function errorWithin<T>(source$: Observable<T>, withinMs: number): Promise<unknown> {
  const outcome = await outcomeWithin(source$, withinMs);
  if (outcome.kind !== 'error') throw new Error(`Expected an error, but it completed after ${JSON.stringify(outcome.values).slice(0, 300)}`);
  return outcome.error;
}

/** Nothing of the client is left open on the fault server's side (bounded wait). */
export async function expectReleased(live: { openConnections(): number; openSockets(): number }): Promise<void> {
  await pollUntil(() => live.openConnections() === 0, 'the client to release every connection');
  expect(live.openSockets()).toBe(0);
}
