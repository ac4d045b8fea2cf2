import { Observable, type Subscriber } from 'rxjs';
import WebSocket, { type RawData } from 'ws';
import {
  CapacityError,
  ConnectionClosedError,
  ConnectionError,
  type OpenEnvError,
  ProtocolError,
  ServerError,
  SessionIdleError,
  TimeoutError,
  type ErrorContext,
} from '../errors/index.js';
import type { StateResponse } from '../protocol/http-messages.js';
import { normalizeReward } from '../protocol/reward.js';
import { WS_FATAL_ERROR_CODES, WsServerMessage, type WsErrorCode, type WsErrorData } from '../protocol/ws-messages.js';
import { JsonRpcResponseMessage } from '../protocol/mcp-messages.js';
import { isRecord } from '../internal/is-record.js';
import { notJsonError, parseServerJson, shapeError } from './decode.js';
import { RAW_LIMIT } from './http-errors.js';
import type { ReplyPhaseWrites } from './reply-phase-writes.js';
import { observationFrameFast } from './step-response-fast.js';
import type { RequestName } from './http-client.js';
import type { WireResetData, WireStepResult } from './transport.js';
import { Call, fromRequest, type Reply } from '../internal/call.js';

type WsRequestName = 'reset' | 'step' | 'state';

/** Node clamps longer delays to 1 ms: a reply timeout of `Infinity` must re-arm rarely, not spin. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A request in the FIFO: a `Call` (answered at most once, nothing after it was abandoned) that
 * hands its answer to the caller's `Reply`, and what the caller unsubscribes to abandon it.
 */
class Pending extends Call<unknown> {
  /** Set on `mcp` requests: the JSON-RPC id their reply is matched by. */
  mcpId?: number;
  /** `mcp` requests: `performance.now()` by which the reply is due. */
  deadline?: number;

  constructor(
    private readonly connection: WsConnection,
    readonly request: WsRequestName | 'mcp',
    readonly frame: string,
    private readonly reply: Reply<never>,
  ) {
    super();
  }

  protected answered(value: unknown): void {
    this.reply.value(value as never);
  }

  protected failed(error: unknown): void {
    this.reply.error(error);
  }

  override unsubscribe(): void {
    if (!this.settled) this.connection.abandon(this);
    super.unsubscribe();
  }
}

const CLOSE_FRAME = '{"type":"close"}';

/** The close code of a server that closed an idle session (`serve()`'s IDLE_CLOSE_CODE). */
const IDLE_CLOSE_CODE = 4408;

function serverError(data: WsErrorData, context: ErrorContext): ServerError {
  if (data.code === 'CAPACITY_REACHED') return new CapacityError(data.message, data, context);
  if (data.code === 'SESSION_ERROR' && data['reason'] === 'idle_timeout') return new SessionIdleError(data.message, data, context);
  return new ServerError(data.code, data.message, data, context);
}

/**
 * The `/ws` protocol on an open socket. There is no request id, so exactly one request is on the
 * wire; the rest wait in a FIFO. An abandoned in-flight request keeps its place until its reply
 * arrives (and is dropped), so the socket stays in sync. Anything that desynchronises the socket
 * (reply timeout, protocol violation, fatal error frame, server close) discards it: the pending
 * request and `failure$` error, every later call errors at once.
 *
 * `mcp` requests carry JSON-RPC ids: consecutive ones go out together and their `mcp` replies are
 * matched by id, in any order; a reply whose id is not outstanding is a protocol error (never
 * handed to another caller). An `error` frame has no id, so the two kinds never overlap on the
 * wire: an `mcp` request waits while a reset/step/state is in flight, and a reset/step/state waits
 * until every outstanding `mcp` request was answered. An `error` frame that arrives while only
 * `mcp` requests are outstanding answers the oldest of them (servers answer error frames in
 * arrival order: a generation-B server answers each `mcp` with UNKNOWN_TYPE).
 */
export class WsConnection {
  readonly failure$: Observable<never>;
  private inflight: Pending | null = null;
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** `performance.now()` by which the request in flight must be answered. */
  private deadline = 0;
  /** Set once the socket is unusable: makes the error a later call receives. */
  private dead: ((request: RequestName) => OpenEnvError) | null = null;
  private failure: OpenEnvError | null = null;
  private closedByUser = false;
  /** A request has been sent: from then on an event with nothing in flight is not "during connect". */
  private used = false;
  private readonly watchers = new Set<Subscriber<never>>();
  /** `mcp` requests on the wire by JSON-RPC id, oldest first (Map keeps insertion order). */
  private readonly mcpOutstanding = new Map<number, Pending>();
  private nextMcpId = 1;
  /** Something arrived (a frame, a pong, a ping) since the keepalive timer last looked. */
  private heard = false;
  /** A keepalive ping is out and unanswered. */
  private pinged = false;
  private keepaliveTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly url: string,
    private readonly replyTimeoutMs: number,
    private readonly maxMessageBytes: number,
    private readonly keepalive: { intervalMs: number; timeoutMs: number } | false = false,
    /** The write policy this connection shares with others of its event loop; undefined: every frame leaves at once. */
    private readonly writes?: ReplyPhaseWrites,
  ) {
    if (writes) {
      // Counted until `discard` (which runs once): how the policy picks its mode.
      writes.connectionOpened();
      socket.on('message', (data, isBinary) => {
        // Requests sent from inside the reply (the next step) may leave together after the I/O phase.
        writes.enter();
        try {
          this.onMessage(data, isBinary);
        } finally {
          writes.leave();
        }
      });
    } else {
      socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    }
    socket.on('close', (code, reason) => this.onClose(code, reason.toString()));
    socket.on('error', (error) => this.onError(error));
    if (keepalive) {
      // One timer per connection, never touched per step: a frame only sets `heard`.
      socket.on('pong', this.onHeard);
      socket.on('ping', this.onHeard);
      this.armKeepalive(keepalive.intervalMs);
    }
    this.failure$ = new Observable<never>((subscriber) => {
      if (this.failure && !this.closedByUser) return subscriber.error(this.failure);
      if (this.closedByUser) return undefined; // a deliberate close is not a failure: stay silent
      this.watchers.add(subscriber);
      return () => this.watchers.delete(subscriber);
    });
  }

  reset(data?: WireResetData): Observable<WireStepResult> {
    return fromRequest<WireStepResult>((reply) => this.request('reset', data, reply));
  }

  step(action: Record<string, unknown>): Observable<WireStepResult> {
    return fromRequest<WireStepResult>((reply) => this.request('step', action, reply));
  }

  state(): Observable<StateResponse> {
    return fromRequest<StateResponse>((reply) => this.request('state', undefined, reply));
  }

  /**
   * A JSON-RPC request in a WS `mcp` envelope; emits the JSON-RPC response (`result` or `error`)
   * whose id matches. Several may be outstanding at once (see the class comment).
   */
  mcp(method: string, params?: Record<string, unknown>): Observable<JsonRpcResponseMessage> {
    return fromRequest<JsonRpcResponseMessage>((reply) => this.mcpRequest(method, params, reply));
  }

  /** The one-shot form of `mcp` (see `request`). */
  private mcpRequest(method: string, params: Record<string, unknown> | undefined, reply: Reply<JsonRpcResponseMessage>): Pending | undefined {
    if (this.dead) {
      reply.error(this.dead('mcp'));
      return undefined;
    }
    const id = this.nextMcpId++;
    let frame: string;
    try {
      frame = JSON.stringify({ type: 'mcp', data: params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id } });
    } catch (cause) {
      reply.error(new ProtocolError(`Cannot serialise the mcp ${method} params as JSON`, undefined, this.context('mcp'), { cause }));
      return undefined;
    }
    const pending = new Pending(this, 'mcp', frame, reply as Reply<never>);
    pending.mcpId = id;
    if (this.inflight === null && this.queue.length === 0) this.sendMcp(pending);
    else this.queue.push(pending);
    return pending;
  }

  /**
   * The caller left (unsubscribed) before the answer: a request still queued is dropped; one on
   * the wire stays in flight (or outstanding) so that its late reply is read and dropped.
   */
  abandon(pending: Pending): void {
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) this.queue.splice(queued, 1);
  }

  /** Idempotent. Sends `{"type":"close"}` if open, then closes; pending requests get `ConnectionClosedError`. */
  close(): void {
    if (this.closedByUser) return;
    this.closedByUser = true;
    this.watchers.clear();
    this.stopKeepalive();
    if (!this.dead) {
      this.discard((request) => new ConnectionClosedError('The transport was closed', 1000, '', this.context(request)));
    }
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(CLOSE_FRAME);
      this.socket.close(1000);
    } else {
      this.socket.terminate();
    }
  }

  /**
   * Sends a reset/step/state (now, or once the requests before it were answered); `reply` gets the
   * answer. Returns what abandons it, or undefined when `reply` already got an error. The
   * Observable methods are this, wrapped (`fromRequest`); the session calls it directly.
   */
  request(request: WsRequestName, data: unknown, reply: Reply<never>): Pending | undefined {
    if (this.dead) {
      reply.error(this.dead(request));
      return undefined;
    }
    let frame: string;
    try {
      // The envelope by concatenation: only the data is walked by JSON.stringify.
      const json = data === undefined ? undefined : (JSON.stringify(data) as string | undefined);
      frame = json === undefined ? `{"type":"${request}"}` : `{"type":"${request}","data":${json}}`;
    } catch (cause) {
      reply.error(new ProtocolError(`Cannot serialise the ${request} as JSON`, undefined, this.context(request), { cause }));
      return undefined;
    }
    const pending = new Pending(this, request, frame, reply);
    if (this.inflight === null && this.queue.length === 0 && this.mcpOutstanding.size === 0) this.send(pending);
    else this.queue.push(pending);
    return pending;
  }

  private sendMcp(pending: Pending): void {
    this.mcpOutstanding.set(pending.mcpId!, pending);
    this.used = true;
    if (this.socket.readyState === WebSocket.OPEN) this.write(pending.frame);
    pending.deadline = performance.now() + this.replyTimeoutMs;
    this.timer ??= setTimeout(this.onTimer, Math.min(this.replyTimeoutMs, MAX_TIMER_MS));
  }

  /** Sends what waits, in arrival order: `mcp` requests together, a reset/step/state alone. */
  private pump(): void {
    while (!this.dead && this.inflight === null && this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.mcpId === undefined) {
        if (this.mcpOutstanding.size > 0) return;
        this.queue.shift();
        this.send(head);
        return;
      }
      this.queue.shift();
      this.sendMcp(head);
    }
  }

  private send(pending: Pending): void {
    this.inflight = pending;
    this.used = true;
    // A socket that is already closing gets no frame; its 'close' event fails the request.
    if (this.socket.readyState === WebSocket.OPEN) this.write(pending.frame);
    // One lazily re-armed timer per connection instead of a setTimeout/clearTimeout pair per step:
    // an answer just moves on, the timer checks the deadline of whatever is in flight when it fires.
    this.deadline = performance.now() + this.replyTimeoutMs;
    this.timer ??= setTimeout(this.onTimer, Math.min(this.replyTimeoutMs, MAX_TIMER_MS));
  }

  private write(frame: string): void {
    if (this.writes) this.writes.send(this.socket, frame);
    else this.socket.send(frame);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.dead) return;
    this.heard = true;
    const pending = this.inflight;
    const request = pending?.request ?? this.currentRequest();
    if (isBinary) return this.failProtocol(new ProtocolError('The server sent a binary frame', undefined, this.context(request)));
    const text = data.toString();
    let json: unknown;
    try {
      json = parseServerJson(text, 'WS frame', this.context(request));
    } catch (cause) {
      if (cause instanceof ProtocolError) return this.failProtocol(cause);
      return this.failProtocol(notJsonError('WS frame', text, this.context(request), cause));
    }
    // The hot path: a well-formed observation answering a reset/step skips zod (same checks, by hand).
    if (pending && pending.request !== 'state') {
      const body = observationFrameFast(json);
      if (body) return this.answer(pending, { observation: body.observation, reward: normalizeReward(body.reward), done: body.done }, false);
    }
    if (isRecord(json) && json['type'] === 'mcp') return this.onMcpReply(json['data'], text);
    const parsed = WsServerMessage.safeParse(json);
    if (!parsed.success) return this.failProtocol(shapeError('WS frame', parsed.error, text, this.context(request)));
    const frame = parsed.data;

    if (frame.type === 'error') {
      const { data: errorData } = frame;
      if (WS_FATAL_ERROR_CODES.has(errorData.code as WsErrorCode)) {
        // E.g. CAPACITY_REACHED right after the handshake: the session never existed.
        const error = serverError(errorData, this.context(request));
        return this.fail(error, (later) => serverError(errorData, this.context(later)));
      }
      if (pending) return this.answer(pending, serverError(errorData, this.context(request)), true);
      const oldest = this.mcpOutstanding.values().next().value;
      if (oldest) return this.answerMcp(oldest, serverError(errorData, this.context('mcp')), true);
    } else if (pending) {
      if (frame.type === 'observation' && pending.request !== 'state') {
        const body = frame.data;
        const result: WireStepResult = { observation: body.observation, reward: normalizeReward(body.reward), done: body.done };
        return this.answer(pending, result, false);
      }
      if (frame.type === 'state' && pending.request === 'state') return this.answer(pending, frame.data, false);
      const expected = pending.request === 'state' ? 'a state' : 'an observation';
      return this.failProtocol(
        new ProtocolError(`Expected ${expected} frame for ${pending.request}, got ${frame.type}`, text.slice(0, RAW_LIMIT), this.context(request)),
      );
    }
    this.failProtocol(new ProtocolError(`Unsolicited ${frame.type} frame (no request pending)`, text.slice(0, RAW_LIMIT), this.context(request)));
  }

  /** A `mcp` frame: its JSON-RPC response goes to the request with that id, and only to it. */
  private onMcpReply(data: unknown, text: string): void {
    const parsed = JsonRpcResponseMessage.safeParse(data);
    if (!parsed.success) return this.failProtocol(shapeError('WS mcp frame', parsed.error, text, this.context('mcp')));
    const id = parsed.data.id;
    const pending = typeof id === 'number' ? this.mcpOutstanding.get(id) : undefined;
    if (!pending) {
      const expected = this.mcpOutstanding.size > 0 ? `outstanding: ${[...this.mcpOutstanding.keys()].join(', ')}` : 'none outstanding';
      return this.failProtocol(
        new ProtocolError(`A mcp reply with unknown JSON-RPC id ${JSON.stringify(id)} (${expected})`, text.slice(0, RAW_LIMIT), this.context('mcp')),
      );
    }
    this.answerMcp(pending, parsed.data, false);
  }

  private answerMcp(pending: Pending, outcome: unknown, isError: boolean): void {
    this.mcpOutstanding.delete(pending.mcpId!);
    this.answer(pending, outcome, isError);
  }

  /** Delivers a reply (dropped if the caller left), then sends what waits. */
  private answer(pending: Pending, outcome: unknown, isError: boolean): void {
    if (this.inflight === pending) this.inflight = null;
    if (isError) pending.error(outcome);
    else pending.value(outcome);
    // A request made while emitting queued behind the others: FIFO holds.
    this.pump();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.dead) return;
    // The oldest request on the wire is due first: the FIFO's, or the first outstanding mcp.
    const mcp = this.mcpOutstanding.values().next().value;
    const due = this.inflight ?? mcp;
    if (!due) return;
    const remaining = (this.inflight ? this.deadline : mcp!.deadline!) - performance.now();
    if (remaining > 0) {
      this.timer = setTimeout(this.onTimer, Math.min(remaining, MAX_TIMER_MS));
      return;
    }
    const request = due.request;
    const error = new TimeoutError(
      'reply',
      this.replyTimeoutMs,
      this.context(request),
      `No reply to ${request} within ${this.replyTimeoutMs} ms; the socket is out of sync and was discarded`,
    );
    this.fail(error, this.discardedBy(error, 'The socket was discarded after a reply timeout'));
  };

  private readonly onHeard = (): void => {
    this.heard = true;
  };

  private armKeepalive(ms: number): void {
    this.keepaliveTimer = setTimeout(this.onKeepalive, Math.min(ms, MAX_TIMER_MS));
    // The socket keeps the process alive while it is open; the keepalive alone never does.
    this.keepaliveTimer.unref();
  }

  private stopKeepalive(): void {
    clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  /**
   * Every `intervalMs`: anything heard since the last look proves the peer is there; otherwise a
   * ping, and `timeoutMs` later, still nothing heard: the socket is half-open, it is discarded.
   */
  private readonly onKeepalive = (): void => {
    this.keepaliveTimer = undefined;
    const keepalive = this.keepalive;
    if (this.dead || this.closedByUser || !keepalive) return;
    if (this.heard) {
      this.heard = false;
      this.pinged = false;
      return this.armKeepalive(keepalive.intervalMs);
    }
    if (!this.pinged) {
      this.pinged = true;
      if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
      return this.armKeepalive(keepalive.timeoutMs);
    }
    const { timeoutMs } = keepalive;
    const error = new TimeoutError(
      'keepalive',
      timeoutMs,
      this.context(this.currentRequest()),
      `No pong within ${timeoutMs} ms of a keepalive ping: the connection is half-open; the socket was closed`,
    );
    this.fail(error, this.discardedBy(error, 'The socket was discarded after a keepalive timeout'));
  };

  private onClose(code: number, reason: string): void {
    if (this.dead) return;
    const message = `The server closed the connection (code ${code}${reason ? `, ${reason}` : ''})`;
    if (code === IDLE_CLOSE_CODE) {
      // The idle frame was lost (or the server sends none): the close code alone says why.
      const idle = (request: RequestName | undefined): OpenEnvError => new SessionIdleError(message, { close_code: code }, this.context(request));
      return this.fail(idle(this.currentRequest()), idle);
    }
    const error = new ConnectionClosedError(message, code, reason, this.context(this.currentRequest()));
    this.fail(error, (later) => new ConnectionClosedError(message, code, reason, this.context(later)));
  }

  private onError(error: Error & { code?: string }): void {
    if (this.dead) return;
    const context = this.context(this.currentRequest());
    let typed: OpenEnvError;
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      typed = new ProtocolError(
        `The server sent a message larger than maxMessageBytes (${this.maxMessageBytes} bytes); the socket was closed with 1009`,
        undefined,
        context,
        { cause: error },
      );
    } else if (error.code?.startsWith('WS_ERR_')) {
      typed = new ProtocolError(`Invalid WebSocket frame: ${error.message}`, undefined, context, { cause: error });
    } else {
      typed = new ConnectionError(`WebSocket connection failed: ${error.message}`, context, { cause: error });
    }
    this.fail(typed, this.discardedBy(typed, `The socket was discarded: ${error.message}`));
  }

  private failProtocol(error: ProtocolError): void {
    this.fail(error, this.discardedBy(error, `The socket was discarded after a protocol error: ${error.message}`));
  }

  /** The socket is unusable: error the pending request (with `error`) and `failure$`, terminate. */
  /** What calls on a socket discarded because of `cause` get: `ConnectionClosedError` saying so, `cause` kept. */
  private discardedBy(cause: OpenEnvError, message: string): (request: RequestName) => OpenEnvError {
    return (later) => new ConnectionClosedError(message, undefined, undefined, this.context(later), { cause });
  }

  private fail(error: OpenEnvError, later: (request: RequestName) => OpenEnvError): void {
    if (this.dead) return;
    this.failure = error;
    this.discard(later, error);
    const watchers = [...this.watchers];
    this.watchers.clear();
    for (const watcher of watchers) watcher.error(error);
    this.socket.terminate();
  }

  /** Marks the connection dead and errors every request still waiting. */
  private discard(later: (request: RequestName) => OpenEnvError, inflightError?: OpenEnvError): void {
    this.dead = later;
    this.writes?.connectionClosed();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopKeepalive();
    const inflight = this.inflight;
    this.inflight = null;
    const queued = this.queue.splice(0);
    if (inflight) inflight.error(inflightError ?? later(inflight.request));
    const outstanding = [...this.mcpOutstanding.values()];
    this.mcpOutstanding.clear();
    // With no step in flight, the first outstanding mcp gets the error itself (it was waiting for it).
    for (const [i, pending] of outstanding.entries()) pending.error(i === 0 && !inflight && inflightError ? inflightError : later(pending.request));
    for (const pending of queued) pending.error(later(pending.request));
  }

  /** The request an event belongs to: the FIFO's, else `mcp` while replies are outstanding. */
  private currentRequest(): RequestName | undefined {
    return this.inflight?.request ?? (this.mcpOutstanding.size > 0 ? 'mcp' : this.idleRequest());
  }

  /** What an event with no request in flight belongs to: the opening, until a request was sent. */
  private idleRequest(): RequestName | undefined {
    return this.used ? undefined : 'connect';
  }

  private context(request: RequestName | undefined): ErrorContext {
    return request === undefined ? { url: this.url, transport: 'ws' } : { url: this.url, transport: 'ws', request };
  }
}
