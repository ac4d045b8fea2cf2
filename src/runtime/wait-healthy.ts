import http from 'node:http';
import https from 'node:https';
import type { Got } from 'got';
import { Observable, asyncScheduler, defer, exhaustMap, filter, finalize, map, take, timeout, throwError, timer, type SchedulerLike } from 'rxjs';
import { TimeoutError, type ErrorContext } from '../errors/index.js';
import { withGot } from '../internal/lazy-got.js';

export interface WaitHealthyOptions {
  /** Pause between probes. Default 50 ms: a refused probe costs next to nothing, and boot takes ~0.3-0.5 s. */
  intervalMs?: number;
  /** Give up after this long with `TimeoutError` phase `start`. Default: wait forever (callers bound it). */
  timeoutMs?: number;
  /** One probe's own budget. Default 2 000 ms. */
  requestTimeoutMs?: number;
  /** Added to the timeout error. */
  context?: ErrorContext;
  /**
   * The budget the timeout error names, when `timeoutMs` is only what is left of a larger one
   * (a runtime's whole start). Default `timeoutMs`.
   */
  budgetMs?: number;
  /** Runs the probe interval and the timeout. Default `asyncScheduler`; tests pass virtual time. */
  scheduler?: SchedulerLike;
}

/** Result of one probe: `undefined` when healthy, else what went wrong (for the timeout message). */
type ProbeResult = string | undefined;

type Agents = { http: http.Agent; https: https.Agent };

function probe(url: string, agents: Agents, requestTimeoutMs: number): Observable<ProbeResult> {
  return withGot((got) => probeWith(got, url, agents, requestTimeoutMs));
}

function probeWith(got: Got, url: string, agents: Agents, requestTimeoutMs: number): Observable<ProbeResult> {
  return new Observable<ProbeResult>((subscriber) => {
    const request = got(`${url}/health`, {
      agent: agents,
      retry: { limit: 0 },
      timeout: { request: requestTimeoutMs },
      throwHttpErrors: false,
      followRedirect: false,
    });
    request.then(
      (response) => {
        let status: unknown;
        try {
          status = (JSON.parse(response.body) as { status?: unknown }).status;
        } catch {
          status = undefined; // a 2xx without a JSON body still means the server is up
        }
        const ok = response.statusCode >= 200 && response.statusCode < 300 && status !== 'unhealthy';
        subscriber.next(ok ? undefined : `HTTP ${response.statusCode}${typeof status === 'string' ? ` ${status}` : ''}`);
        subscriber.complete();
      },
      (error: { code?: string; message?: string; name?: string }) => {
        // Refused / reset while the server boots: not healthy yet, probe again.
        if (error?.name !== 'CancelError') subscriber.next(error?.code ?? error?.message ?? String(error));
        subscriber.complete();
      },
    );
    return () => request.cancel();
  });
}

/**
 * Polls `GET <url>/health` until it answers 2xx (and not `{"status":"unhealthy"}`), then emits
 * once and completes. Connection errors and non-2xx answers are retried every `intervalMs`; the
 * probe sockets are not kept alive, so nothing stays open afterwards. Shared by the docker and
 * process runtimes.
 *
 * @example
 * await firstValueFrom(waitHealthy('http://127.0.0.1:8000', { timeoutMs: 10_000 }));
 */
export function waitHealthy(url: string, options: WaitHealthyOptions = {}): Observable<void> {
  const intervalMs = options.intervalMs ?? 50;
  const requestTimeoutMs = options.requestTimeoutMs ?? 2_000;
  const scheduler = options.scheduler ?? asyncScheduler;
  return defer(() => {
    const agents = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };
    let lastProblem = 'no answer yet';
    const healthy$ = timer(0, intervalMs, scheduler).pipe(
      exhaustMap(() => probe(url, agents, requestTimeoutMs)),
      filter((problem) => {
        if (problem !== undefined) lastProblem = problem;
        return problem === undefined;
      }),
      take(1),
      map(() => undefined),
    );
    const bounded$ =
      options.timeoutMs === undefined
        ? healthy$
        : healthy$.pipe(
            timeout({
              first: options.timeoutMs,
              scheduler,
              with: () =>
                throwError(
                  () =>
                    new TimeoutError(
                      'start',
                      options.budgetMs ?? options.timeoutMs!,
                      { url, request: 'health', ...options.context },
                      `${url}/health not healthy after ${options.budgetMs ?? options.timeoutMs} ms (last probe: ${lastProblem})`,
                    ),
                ),
            }),
          );
    return bounded$.pipe(
      finalize(() => {
        agents.http.destroy();
        agents.https.destroy();
      }),
    );
  });
}
