import { catchError, mergeMap, race, throwError, timer, type MonoTypeOperatorFunction, type Observable, type Subscription } from 'rxjs';
import { ConnectionClosedError, ConnectionError } from '../errors/connection-errors.js';
import { Call, fromRequest, type Reply } from '../internal/call.js';
import type { Transport } from '../transport/transport.js';
import { registerTransportRequest, transportRequestOf } from '../transport/transport-request.js';

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
  return catchError((error: unknown) => (isConnectionLoss(error) ? explained$(error, serverFailure$, graceMs) : throwError(() => error)));
}

/** Errors with `serverFailure$`'s report if it comes within `graceMs`, else with `loss` itself. */
const explained$ = (loss: unknown, serverFailure$: Observable<never>, graceMs: number): Observable<never> =>
  race(serverFailure$, timer(graceMs).pipe(mergeMap(() => throwError(() => loss))));

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
  // Every one-shot request of the wrapper is an ExplainingCall around the inner one.
  const explain = <T>(source$: Observable<T>): Observable<T> => fromRequest<T>((reply) => new ExplainingCall(reply, serverFailure$, graceMs).listen(source$));
  const inner = transportRequestOf(transport);
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
    failure$: transport.failure$.pipe(explainLoss(serverFailure$, graceMs)),
    close: () => transport.close(),
  };
  // The session's resets and steps: the inner transport's own request, only an error takes the detour.
  registerTransportRequest(wrapped, (kind, data, reply) => {
    const call = new ExplainingCall(reply, serverFailure$, graceMs);
    return call.sent(inner(kind, data, call));
  });
  return wrapped;
}

/** A request whose connection loss is held back until `serverFailure$` explains it (as `explainLoss`). */
class ExplainingCall<T> extends Call<T> {
  private waiting: Subscription | undefined;

  constructor(
    private readonly reply: Reply<T>,
    private readonly serverFailure$: Observable<never>,
    private readonly graceMs: number,
  ) {
    super();
  }

  protected answered(value: T): void {
    this.reply.value(value);
  }

  protected failed(error: unknown): void {
    if (!isConnectionLoss(error)) return this.reply.error(error);
    this.waiting = explained$(error, this.serverFailure$, this.graceMs).subscribe({ error: (explained: unknown) => this.reply.error(explained) });
  }

  /** The caller left: the request is abandoned and a pending explanation dropped. */
  override unsubscribe(): void {
    super.unsubscribe();
    this.waiting?.unsubscribe();
  }
}
