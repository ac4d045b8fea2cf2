import { randomUUID } from 'node:crypto';
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { RawData, WebSocket } from 'ws';
import { messageOf } from '../internal/error-context.js';
import { isPromiseLike } from '../internal/is-promise-like.js';
import { isRecord } from '../internal/is-record.js';
import {
  WsCloseMessage,
  WsMcpMessage,
  WsResetMessage,
  WsStateMessage,
  WsStepMessage,
  type WsErrorCode,
} from '../protocol/ws-messages.js';
import type { Environment, MaybePromise } from '../environment/environment.js';
import { isToolHost } from '../environment/tools.js';
import { formatJsonDecodeError, parseJsonLikePython } from './json-decode-error.js';
import { jsonTooDeepAt, tooDeepMessage } from '../internal/json-depth.js';
import { answerJsonRpc } from './json-rpc.js';
import { toPydanticIssues } from '../internal/pydantic-issues.js';
import { ResetBody, toResetOptions } from './request-bodies.js';
import type { ServerContext } from './server-context.js';
import { toWireOutcome } from './wire-outcome.js';

export interface WsSessionOptions {
  /** Close the session after this long without a message (a SESSION_ERROR frame says why, then close 4408); 0 or absent: never. */
  idleTimeoutMs?: number;
  /** Ping interval keeping proxies from dropping a quiet socket; 0 disables. */
  pingIntervalMs?: number;
  /** Messages waiting (queued, running `mcp` calls, unwritten replies) beyond which the socket is closed (1008). Default 1024. */
  maxQueuedMessages?: number;
  /** Runs the idle timeout and the pings. Default `asyncScheduler` (real time). */
  scheduler?: SchedulerLike;
  /** Called once when the session is over (socket closed); the env is closed right after. */
  onEnd(): void;
}


/**
 * The close code of a session closed for idling (after a SESSION_ERROR frame with
 * `reason: "idle_timeout"`): 4408 (a private-use code, after HTTP's 408 Request Timeout). The client
 * maps either to `SessionIdleError`.
 */
export const IDLE_CLOSE_CODE = 4408;

/** The close code when a client outruns the server: 1008, policy violation (RFC 6455). */
export const QUEUE_OVERFLOW_CLOSE_CODE = 1008;
const DEFAULT_MAX_QUEUED = 1024;
/** Replies handed to the socket but not yet written: past this, reading pauses until they drain. */
const UNWRITTEN_HIGH_WATER = 64;

/** Python's `str()` of a decoded JSON `type` value, as OpenEnv's UNKNOWN_TYPE message prints it. */
function typeLabel(type: unknown): string {
  if (type === undefined) return '';
  if (type === null) return 'None';
  if (typeof type === 'boolean') return type ? 'True' : 'False';
  return typeof type === 'string' ? type : JSON.stringify(type);
}

/**
 * One `/ws` socket = one env instance, speaking OpenEnv's envelopes. Messages are handled strictly
 * in arrival order; a sync env is answered without touching the promise machinery (the hot path).
 * INVALID_JSON, UNKNOWN_TYPE, VALIDATION_ERROR and EXECUTION_ERROR keep the socket; FACTORY_ERROR and
 * SESSION_ERROR close it (1000). `{"type":"close"}` closes with 1000 and no reply.
 *
 * @example
 * wss.on('connection', (socket) => new WsSession(socket, ctx, { onEnd: () => slots-- }));
 */
export class WsSession {
  private env: Environment | undefined;
  private readonly queue: RawData[] = [];
  /** This socket's session id for `openenv/session/create` over the `mcp` channel (made on first use). */
  private mcpSessionId: string | undefined;
  /** `mcp` calls whose answer is still being computed (they run beside the FIFO, answered by id). */
  private mcpRunning = 0;
  /** Frames given to `socket.send` whose write callback has not run (the client is not reading). */
  private unwritten = 0;
  private readonly maxQueued: number;
  private busy = true; // until the factory has produced the env
  private ended = false;
  private readonly scheduler: SchedulerLike;
  private idleTimer: Subscription | undefined;
  /** When the session last finished answering (scheduler time): the idle clock starts there. */
  private lastActive = 0;
  private pingTimer: Subscription | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: ServerContext,
    private readonly options: WsSessionOptions,
  ) {
    this.maxQueued = options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED;
    this.scheduler = options.scheduler ?? asyncScheduler;
    socket.on('message', (data) => {
      if (this.ended) return;
      if (this.waiting() >= this.maxQueued) {
        this.overflow();
        return;
      }
      this.queue.push(data);
      if (!this.busy) this.drain();
    });
    socket.once('close', () => this.end());
    socket.on('error', () => this.end());
    if (options.pingIntervalMs) {
      // A peer that vanished (network drop, host asleep) never closes: without a pong by the next
      // ping it is cut, so it does not hold a session slot until TCP gives up.
      let alive = true;
      socket.on('pong', () => (alive = true));
      const interval = options.pingIntervalMs;
      this.pingTimer = this.scheduler.schedule(function (this: SchedulerAction<undefined>) {
        if (!alive) {
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
        this.schedule(undefined, interval); // same delay: rxjs keeps one interval timer
      }, interval);
    }
    this.start();
  }

  /** Messages received and not fully answered: queued, `mcp` calls running, replies not yet written out. */
  private waiting(): number {
    return this.queue.length + this.mcpRunning + this.unwritten;
  }

  /**
   * The client sent more than `maxQueuedMessages` unanswered messages: one SESSION_ERROR frame
   * saying so (`max_queued`), then close 1008. What was queued is dropped unanswered.
   */
  private overflow(): void {
    const waiting = this.waiting();
    this.queue.length = 0;
    this.sendError('SESSION_ERROR', `Too many messages waiting (${waiting} >= ${this.maxQueued}): the client sends faster than the session answers`, {
      max_queued: this.maxQueued,
    });
    this.close(QUEUE_OVERFLOW_CLOSE_CODE, 'message queue full');
  }

  /** Server shutdown: close with 1001 (going away). */
  shutdown(): void {
    this.close(1001, 'Server shutting down');
  }

  private start(): void {
    let created: MaybePromise<Environment>;
    try {
      created = this.ctx.definition.create();
    } catch (err) {
      this.factoryFailed(err);
      return;
    }
    if (isPromiseLike(created)) created.then((env) => this.ready(env), (err: unknown) => this.factoryFailed(err));
    else this.ready(created);
  }

  private ready(env: Environment): void {
    if (!env || typeof env.reset !== 'function' || typeof env.step !== 'function' || typeof env.state !== 'function') {
      this.fatal('SESSION_ERROR', `Env factory of ${this.ctx.definition.name} did not return an Environment (reset/step/state)`);
      return;
    }
    this.env = env;
    if (this.ended) {
      this.closeEnv();
      return;
    }
    this.busy = false;
    this.drain();
  }

  private factoryFailed(err: unknown): void {
    this.ctx.report(err, { operation: 'create', transport: 'ws' });
    this.fatal('FACTORY_ERROR', `Failed to create environment ${this.ctx.definition.name}: ${messageOf(err)}`, {
      factory_name: this.ctx.definition.name,
    });
  }

  private drain(): void {
    while (!this.ended && this.queue.length > 0) {
      let pending: Promise<void> | undefined;
      try {
        pending = this.handle(this.queue.shift()!);
      } catch (err) {
        // User code outside `run` (an action schema's refine/transform) threw: one session's
        // frame must not take the process down. Answer it as the env failing, like HTTP's 500.
        this.ctx.report(err, { operation: 'step', transport: 'ws' });
        this.sendError('EXECUTION_ERROR', messageOf(err));
        continue;
      }
      if (pending) {
        this.busy = true;
        const next = (): void => {
          this.busy = false;
          if (this.ended) this.closeEnv();
          else this.drain();
        };
        pending.then(next, next);
        return;
      }
    }
    if (!this.ended && this.options.idleTimeoutMs) {
      // One timer per session, not one per message: the hot path only notes the time.
      this.lastActive = this.scheduler.now();
      if (!this.idleTimer) this.armIdle(this.options.idleTimeoutMs);
    }
  }

  /** Handles one frame; returns a promise only when the env answered asynchronously. */
  private handle(data: RawData): Promise<void> | undefined {
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    const deepAt = jsonTooDeepAt(text, this.ctx.maxJsonDepth);
    if (deepAt !== undefined) {
      const message = tooDeepMessage(this.ctx.maxJsonDepth, deepAt);
      return this.sendError('VALIDATION_ERROR', `Invalid message: ${message}`, { errors: [{ type: 'json_invalid', loc: [deepAt], msg: message, input: null }] });
    }
    const parsed = parseJsonLikePython(text);
    if (!parsed.ok) return this.sendError('INVALID_JSON', `Invalid JSON: ${formatJsonDecodeError(parsed.error)}`);
    const message = parsed.value;
    const type = isRecord(message) ? message['type'] : undefined;
    const env = this.env!;
    switch (type) {
      case 'step': {
        const envelope = WsStepMessage.safeParse(message);
        if (!envelope.success) return this.invalid(toPydanticIssues(envelope.error.issues, message, { withUrl: true }));
        const parsed = this.ctx.parseAction(envelope.data.data);
        if (!parsed.ok) {
          return this.invalid(toPydanticIssues(parsed.issues, envelope.data.data, { withUrl: true, schema: parsed.schema }));
        }
        const action = parsed.action as Record<string, unknown>;
        return this.run('step', () => env.step(action), (outcome) => ({ type: 'observation', data: toWireOutcome(outcome) }));
      }
      case 'reset': {
        const envelope = WsResetMessage.safeParse(message);
        if (!envelope.success) return this.invalid(toPydanticIssues(envelope.error.issues, message, { withUrl: true }));
        const data = envelope.data.data ?? {};
        const body = ResetBody.safeParse(data);
        if (!body.success) return this.invalid(toPydanticIssues(body.error.issues, data, { withUrl: true, locPrefix: ['data'], schema: ResetBody }));
        const options = toResetOptions(body.data);
        return this.run('reset', () => env.reset(options), (outcome) => ({ type: 'observation', data: toWireOutcome(outcome) }));
      }
      case 'state': {
        const envelope = WsStateMessage.safeParse(message);
        if (!envelope.success) return this.invalid(toPydanticIssues(envelope.error.issues, message, { withUrl: true }));
        return this.run('state', () => env.state(), (state) => ({ type: 'state', data: state }));
      }
      case 'close': {
        const envelope = WsCloseMessage.safeParse(message);
        if (!envelope.success) return this.invalid(toPydanticIssues(envelope.error.issues, message, { withUrl: true }));
        this.close(1000, '');
        return undefined;
      }
      case 'mcp': {
        const envelope = WsMcpMessage.safeParse(message);
        if (!envelope.success) return this.invalid(toPydanticIssues(envelope.error.issues, message, { withUrl: true }));
        this.answerMcp(envelope.data.data, env);
        return undefined;
      }
      default:
        return this.sendError('UNKNOWN_TYPE', `Unknown message type: ${typeLabel(type)}`);
    }
  }

  /**
   * A JSON-RPC request over `/ws`. It does not wait in the FIFO: a tool env answers `tools/call`
   * on this socket's env as soon as the handler is done, so several calls run at once and their
   * answers may overtake each other (the client matches them by id). Not a step: no step count,
   * no reward. Envs without tools answer "Environment does not support MCP" (-32603).
   */
  private answerMcp(request: unknown, env: Environment): void {
    const host = this.ctx.tools && isToolHost(env) ? env : undefined;
    // The socket is the session; `openenv/session/create` over it answers this id (as OpenEnv does).
    this.mcpSessionId ??= randomUUID();
    const tools = host ? { tools: { list: () => host.describeTools(), call: (name: string, args: Record<string, unknown>) => host.invokeTool(name, args) } } : {};
    const answer = answerJsonRpc(request, { ...tools, sessionId: this.mcpSessionId });
    if (!isPromiseLike(answer)) {
      if (answer) this.send({ type: 'mcp', data: answer });
      return;
    }
    this.mcpRunning++;
    answer.then(
      (value) => {
        this.mcpRunning--;
        if (value && !this.ended) this.send({ type: 'mcp', data: value });
      },
      (err: unknown) => {
        this.mcpRunning--;
        this.ctx.report(err, { operation: 'tool', transport: 'ws' });
      },
    );
  }

  /** Calls the env; a throw or rejection becomes EXECUTION_ERROR (the socket stays open). */
  private run<T>(operation: 'reset' | 'step' | 'state', call: () => MaybePromise<T>, frame: (value: T) => unknown): Promise<void> | undefined {
    const failed = (err: unknown): undefined => {
      this.ctx.report(err, { operation, transport: 'ws' });
      return this.sendError('EXECUTION_ERROR', messageOf(err));
    };
    let result: MaybePromise<T>;
    try {
      result = call();
    } catch (err) {
      return failed(err);
    }
    if (isPromiseLike(result)) return result.then((value) => this.sendFrame(operation, frame, value), failed);
    return this.sendFrame(operation, frame, result);
  }

  private sendFrame<T>(operation: 'reset' | 'step' | 'state', frame: (value: T) => unknown, value: T): undefined {
    let text: string;
    try {
      text = JSON.stringify(frame(value));
    } catch (err) {
      // A non-serialisable observation is the env's fault: report it like any env failure.
      this.ctx.report(err, { operation, transport: 'ws' });
      return this.sendError('EXECUTION_ERROR', messageOf(err));
    }
    this.write(text);
    return undefined;
  }

  /**
   * Sends a frame; while too many are unwritten (a client that does not read its replies) the
   * socket stops reading, so TCP pushes back on the client instead of our memory growing.
   */
  private write(text: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.unwritten++;
    if (this.unwritten === UNWRITTEN_HIGH_WATER) this.socket.pause();
    this.socket.send(text, this.written);
  }

  private readonly written = (): void => {
    this.unwritten--;
    if (this.unwritten === UNWRITTEN_HIGH_WATER / 2 && this.socket.isPaused) this.socket.resume();
  };

  private invalid(errors: unknown[]): undefined {
    return this.sendError('VALIDATION_ERROR', 'Invalid message', { errors });
  }

  private sendError(code: WsErrorCode, message: string, extra: Record<string, unknown> = {}): undefined {
    this.send({ type: 'error', data: { message, code, ...extra } });
    return undefined;
  }

  private send(frame: unknown): void {
    this.write(JSON.stringify(frame));
  }

  /** A session-ending error: the frame, then close 1000 (what OpenEnv does for its fatal codes). */
  private fatal(code: WsErrorCode, message: string, extra: Record<string, unknown> = {}): void {
    this.sendError(code, message, extra);
    this.close(1000, '');
  }

  private close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
    }
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.clearIdle();
    this.pingTimer?.unsubscribe();
    this.options.onEnd();
    if (!this.busy) this.closeEnv();
  }

  private closeEnv(): void {
    const env = this.env;
    this.env = undefined;
    if (!env?.close) return;
    try {
      const closing = env.close();
      if (isPromiseLike(closing)) closing.then(undefined, (err: unknown) => this.ctx.report(err, { operation: 'close', transport: 'ws' }));
    } catch (err) {
      this.ctx.report(err, { operation: 'close', transport: 'ws' });
    }
  }

  /**
   * The idle check: when it fires, a session still answering (or with work queued) counts as
   * active; otherwise it closes once `idleTimeoutMs` have passed since `lastActive`, or looks
   * again when they will have.
   */
  private armIdle(delay: number): void {
    const idleMs = this.options.idleTimeoutMs!;
    this.idleTimer = this.scheduler.schedule(() => {
      this.idleTimer = undefined;
      if (this.ended) return;
      if (this.busy || this.queue.length > 0 || this.mcpRunning > 0) {
        this.lastActive = this.scheduler.now();
        return this.armIdle(idleMs);
      }
      const quiet = this.scheduler.now() - this.lastActive;
      if (quiet < idleMs) return this.armIdle(idleMs - quiet);
      this.sendError('SESSION_ERROR', `Session idle for ${idleMs} ms: closed by the server`, { reason: 'idle_timeout', idle_timeout_ms: idleMs });
      this.close(IDLE_CLOSE_CODE, 'idle timeout');
    }, delay);
  }

  private clearIdle(): void {
    if (this.idleTimer) {
      this.idleTimer.unsubscribe();
      this.idleTimer = undefined;
    }
  }
}
