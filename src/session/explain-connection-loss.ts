import { catchError, mergeMap, race, throwError, timer, type MonoTypeOperatorFunction, type Observable, type Subscription, type Unsubscribable } from 'rxjs';
import { ConnectionClosedError, ConnectionError } from '../errors/connection-errors.js';
import { DIRECT_REQUEST, directOf, type ReplySink } from '../transport/direct-request.js';
import type { Transport, WireStepResult } from '../transport/transport.js';

/**
 * How long a lost connection waits for the runtime to report why (the container or process
 * exited) before it is reported as is. Docker needs ~100-500 ms after a kill to answer the wait
 * and hand over the logs; a server that closed the socket and lives on costs this much delay.
 */
export const EXIT_EXPLANATION_GRACE_MS = 2_000;

/** Errors that a dying server causes on the client side. */
const isConnectionLoss = (error: unknown): boolean => error instanceof ConnectionClosedError || error instanceof ConnectionError;

/**
 * Replaces a connection loss (`ConnectionClosedError`, `ConnectionError`) by the error
 * `serverFailure$` reports within `graceMs` (a `ServerExitedError` with exit code and log tail);
 * rethrows the loss as is when no report comes in time. Other errors pass through at once.
 *
 * @example
 * transport.step(action).pipe(explainLoss(endpoint.failure$, 2_000));
 */
export function explainLoss<T>(serverFailure$: Observable<never>, graceMs = EXIT_EXPLANATION_GRACE_MS): MonoTypeOperatorFunction<T> {
  return catchError((error: unknown) =>
    isConnectionLoss(error) ? race(serverFailure$, timer(graceMs).pipe(mergeMap(() => throwError(() => error)))) : throwError(() => error),
  );
}

/**
 * Wraps a transport to a server whose runtime reports its death (`serverFailure$`). When the
 * server dies, the client sees its socket die first (a 1006 close, ECONNRESET, ECONNREFUSED) and
 * the runtime's report a little later: every request and `failure$` wait for that report
 * (`explainLoss`), so the user learns the exit code and the logs, not just "connection closed".
 *
 * @example
 * const transport = explainConnectionLoss(wsTransport, endpoint.failure$);
 * transport.step({ message: 'hi' }).subscribe({ error: (e) => console.log(e.code) }); // 'ERR_CONTAINER_EXITED'
 */
export function explainConnectionLoss(transport: Transport, serverFailure$: Observable<never>, graceMs = EXIT_EXPLANATION_GRACE_MS): Transport {
  const explain = <T>(source: Observable<T>): Observable<T> => source.pipe(explainLoss<T>(serverFailure$, graceMs));
  const mcp = transport.mcp?.bind(transport);
  const wrapped: Transport = {
    ...(mcp && { mcp: (method: string, params?: Record<string, unknown>) => explain(mcp(method, params)) }),
    kind: transport.kind,
    url: transport.url,
    ...(transport.stateful !== undefined && { stateful: transport.stateful }),
    reset: (data) => explain(transport.reset(data)),
    step: (action, options) => explain(transport.step(action, options)),
    state: () => explain(transport.state()),
    health: () => explain(transport.health()),
    schema: () => explain(transport.schema()),
    metadata: () => explain(transport.metadata()),
    failure$: explain(transport.failure$),
    close: () => transport.close(),
  };
  // The per-step path stays direct: only an error takes the detour through the explanation.
  const direct = directOf(transport);
  if (!direct) return wrapped;
  return Object.assign(wrapped, {
    [DIRECT_REQUEST]: {
      owner: wrapped,
      send: (kind: 'reset' | 'step', data: Record<string, unknown>, sink: ReplySink<WireStepResult>): Unsubscribable | undefined => {
        const explaining = new ExplainingSink(sink, serverFailure$, graceMs);
        const request = direct.send(kind, data, explaining);
        return { unsubscribe: () => explaining.cancel(request) };
      },
    },
  });
}

/** A `ReplySink` that holds a connection loss back until `serverFailure$` explains it (as `explainLoss`). */
class ExplainingSink<T> implements ReplySink<T> {
  private waiting: Subscription | undefined;
  private cancelled = false;

  constructor(
    private readonly sink: ReplySink<T>,
    private readonly serverFailure$: Observable<never>,
    private readonly graceMs: number,
  ) {}

  next(value: T): void {
    this.sink.next(value);
  }

  complete(): void {
    this.sink.complete();
  }

  error(error: unknown): void {
    if (this.cancelled) return;
    if (!isConnectionLoss(error)) return this.sink.error(error);
    this.waiting = race(this.serverFailure$, timer(this.graceMs).pipe(mergeMap(() => throwError(() => error)))).subscribe({
      error: (explained: unknown) => {
        if (!this.cancelled) this.sink.error(explained);
      },
    });
  }

  /** The caller left: the request is abandoned and a pending explanation dropped. */
  cancel(request: Unsubscribable | undefined): void {
    this.cancelled = true;
    request?.unsubscribe();
    this.waiting?.unsubscribe();
  }
}
