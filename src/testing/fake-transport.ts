import { asyncScheduler, defer, finalize, NEVER, throwError, type Observable } from 'rxjs';
import { ConnectionClosedError } from '../errors/connection-errors.js';
import { InvalidOptionError } from '../errors/usage-errors.js';
import type { HealthResponse, MetadataResponse, SchemaResponse, StateResponse } from '../protocol/http-messages.js';
import type { JsonRpcResponseMessage } from '../protocol/mcp-messages.js';
import type {
  Transport,
  TransportKind,
  WireResetData,
  WireStepOptions,
  WireStepResult,
} from '../transport/transport.js';

/** How a fake answers each request: return an Observable (e.g. `cold('--r|', { r })`). */
export interface FakeTransportAnswers {
  /** Answers each reset, given the wire data (`seed`, `episode_id`, extras). */
  reset?: (data: WireResetData | undefined) => Observable<WireStepResult>;
  /** Answers each step, given the action as the session sent it. */
  step?: (action: Record<string, unknown>, options: WireStepOptions | undefined) => Observable<WireStepResult>;
  /** Answers `state()`. */
  state?: () => Observable<StateResponse>;
  /** Answers `health()`. */
  health?: () => Observable<HealthResponse>;
  /** Answers `schema()` (sessions ask it before episodes when `stateful` is `undefined`). */
  schema?: () => Observable<SchemaResponse>;
  /** Answers `metadata()`. */
  metadata?: () => Observable<MetadataResponse>;
  /** JSON-RPC over the fake: answer with `cold('--r|', { r: { jsonrpc: '2.0', id: 1, result: {...} } })`. */
  mcp?: (method: string, params: Record<string, unknown> | undefined) => Observable<JsonRpcResponseMessage>;
  /** Default `NEVER` (the connection never dies). Pass `cold('---#', {}, error)` to kill it. */
  failure$?: Observable<never>;
  kind?: TransportKind;
  url?: string;
  /**
   * The transport's `stateful` flag. Default `true` (episodes run); pass `undefined` explicitly
   * for an HTTP transport whose generation is unknown (sessions then ask `schema()` first), or
   * `false` for one known stateless.
   */
  stateful?: boolean | undefined;
}

/** One request that reached the fake, recorded when it was subscribed (i.e. "sent"). */
export interface FakeRequest {
  type: 'reset' | 'step' | 'state' | 'health' | 'schema' | 'metadata' | 'mcp';
  /** The reset data, the step action or `{method, params}` of an mcp request, as the session handed it over. */
  body?: WireResetData | Record<string, unknown>;
  options?: WireStepOptions;
  /** Scheduler time when it was sent (virtual frames inside `TestScheduler.run`). */
  at: number;
}

/** A `Transport` you can inspect: what was sent, how many requests overlapped, how often it was closed. */
export interface FakeTransport extends Transport {
  /** Every request sent, in order. `at` is the scheduler's time (virtual frames inside `TestScheduler.run`). */
  readonly requests: readonly FakeRequest[];
  /** The most requests that were ever awaiting an answer at once (a real transport allows 1). */
  readonly maxInFlight: number;
  /** How many times `close()` was called (the real one is idempotent; this counts every call). */
  readonly closeCalls: number;
}

/**
 * A virtual-time `Transport` for marble tests of sessions and agent loops. Each answer is the
 * Observable your function returns, so `cold()` controls when it arrives and
 * `expectSubscriptions` shows when it was sent and abandoned. A request without an answer
 * function errors with `InvalidOptionError` (`ERR_INVALID_OPTION`, `option: 'answers.<request>'`);
 * a request after `close()` errors with `ConnectionClosedError`, as a real transport does.
 *
 * @example
 * testScheduler.run(({ cold, expectObservable }) => {
 *   const r = { observation: { x: 0 }, reward: 0, done: false };
 *   const transport = fakeTransport({ reset: () => cold('--(r|)', { r }) });
 *   expectObservable(transport.reset({})).toBe('--(r|)', { r });
 * });
 */
export function fakeTransport(answers: FakeTransportAnswers = {}): FakeTransport {
  const kind = answers.kind ?? 'ws';
  const url = answers.url ?? 'http://127.0.0.1:8000';
  const requests: FakeRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let closeCalls = 0;

  function answer<T>(request: Omit<FakeRequest, 'at'>, respond: (() => Observable<T>) | undefined): Observable<T> {
    return defer(() => {
      const context = { url, transport: kind, request: request.type };
      if (closeCalls > 0) {
        return throwError(() => new ConnectionClosedError(`fake transport closed before ${request.type}`, undefined, undefined, context));
      }
      requests.push({ ...request, at: asyncScheduler.now() });
      if (!respond) {
        return throwError(() => new InvalidOptionError(`answers.${request.type}`, undefined, `a function answering ${request.type}`, context));
      }
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return respond().pipe(finalize(() => (inFlight -= 1)));
    });
  }

  return {
    kind,
    url,
    ...('stateful' in answers ? (answers.stateful === undefined ? {} : { stateful: answers.stateful }) : { stateful: true }),
    get requests() {
      return requests;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get closeCalls() {
      return closeCalls;
    },
    reset: (data) => answer({ type: 'reset', body: data }, answers.reset?.bind(null, data)),
    step: (action, options) => answer({ type: 'step', body: action, options }, answers.step?.bind(null, action, options)),
    state: () => answer({ type: 'state' }, answers.state),
    health: () => answer({ type: 'health' }, answers.health),
    schema: () => answer({ type: 'schema' }, answers.schema),
    metadata: () => answer({ type: 'metadata' }, answers.metadata),
    mcp: (method, params) => answer({ type: 'mcp', body: { method, params } }, answers.mcp?.bind(null, method, params)),
    failure$: answers.failure$ ?? NEVER,
    close: () => {
      closeCalls += 1;
    },
  };
}
