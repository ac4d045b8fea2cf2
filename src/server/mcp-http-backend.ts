import { randomUUID } from 'node:crypto';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { Environment } from '../environment/environment.js';
import { isToolHost, type ToolHost } from '../environment/tools.js';
import { isPromiseLike } from '../internal/is-promise-like.js';
import { JsonRpcFault } from '../errors/json-rpc-fault.js';
import { JSON_RPC, type JsonRpcToolBackend } from './json-rpc.js';
import { withFreshEnv, type ServerContext } from './server-context.js';
import { capacityMessage, type SessionSlots } from './session-slots.js';

interface McpSession {
  env: Environment;
  host: ToolHost;
  timer: Subscription | undefined;
}

/** Options of `createMcpHttpBackend`. */
export interface McpHttpBackendOptions {
  /** Close a session after this long without a call; 0 or absent: never. */
  idleTimeoutMs?: number;
  /** Runs the idle timers. Default `asyncScheduler`; tests pass a virtual-time scheduler. */
  scheduler?: SchedulerLike;
}

/** Ids of sessions closed for idling that are still recognised (to say why), oldest forgotten first. */
const REMEMBERED_EXPIRED = 1024;

/** The tool backend of `POST /mcp`, plus what `serve()` needs to end its sessions. */
export interface McpHttpBackend extends JsonRpcToolBackend {
  /** Open `openenv/session/create` sessions. */
  size(): number;
  /** Closes every session's env (server shutdown). */
  closeAll(): Promise<void>;
}

function hostOf(env: Environment): ToolHost {
  if (!isToolHost(env)) throw new JsonRpcFault(JSON_RPC.INTERNAL_ERROR, 'Environment does not support MCP');
  return env;
}

/**
 * Stateless tool calls run on a fresh env each (created, called, closed, like HTTP `/step`);
 * `openenv/session/create` keeps an env alive under a uuid until `openenv/session/close`, the
 * session's idle timeout (its slot is free at once; a later call with its id says it idled out), or shutdown. Sessions count against `maxSessions` (-32000 past it);
 * an unknown `session_id` is -32602.
 *
 * @example
 * const backend = createMcpHttpBackend(ctx, slots, { idleTimeoutMs: 60_000 });
 * answerJsonRpc(request, { tools: backend });
 */
export function createMcpHttpBackend(ctx: BackendContext, slots: SessionSlots, options: McpHttpBackendOptions = {}): McpHttpBackend {
  return new McpSessionTable(ctx, slots, options);
}

type BackendContext = Pick<ServerContext, 'definition' | 'report' | 'tools' | 'statelessSlots'>;

/** The sessions of `openenv/session/create` by id, their idle timers, and the JSON-RPC tool calls on them. */
class McpSessionTable implements McpHttpBackend {
  private readonly sessions = new Map<string, McpSession>();
  /** Ids closed for idling, remembered to say why a later call with one fails. */
  private readonly expired = new Set<string>();
  private readonly scheduler: SchedulerLike;

  constructor(
    private readonly ctx: BackendContext,
    private readonly slots: SessionSlots,
    private readonly options: McpHttpBackendOptions,
  ) {
    this.scheduler = options.scheduler ?? asyncScheduler;
  }

  list(sessionId?: string): ReturnType<JsonRpcToolBackend['list']> {
    return sessionId ? this.sessionFor(sessionId).host.describeTools() : (this.ctx.tools ?? []);
  }

  call(name: string, args: Record<string, unknown>, sessionId?: string): ReturnType<JsonRpcToolBackend['call']> {
    if (sessionId) return this.sessionFor(sessionId).host.invokeTool(name, args);
    return withFreshEnv(this.ctx, 'tool', (env) => hostOf(env).invokeTool(name, args));
  }

  async createSession(): Promise<string> {
    const { ctx, slots } = this;
    if (!slots.acquire()) throw new JsonRpcFault(JSON_RPC.CAPACITY, capacityMessage(slots));
    let env: Environment;
    try {
      env = await ctx.definition.create();
    } catch (err) {
      slots.release();
      ctx.report(err, { operation: 'create', transport: 'http' });
      throw err;
    }
    let host: ToolHost;
    try {
      host = hostOf(env);
    } catch (err) {
      slots.release();
      this.closeEnv(env);
      throw err;
    }
    const id = randomUUID();
    const session: McpSession = { env, host, timer: undefined };
    this.sessions.set(id, session);
    this.touch(id, session);
    return id;
  }

  closeSession(sessionId: string): void {
    if (!this.end(sessionId)) throw this.unknown(sessionId);
  }

  size(): number {
    return this.sessions.size;
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.sessions.keys()]) this.end(id);
  }

  private closeEnv(env: Environment): void {
    try {
      const closing = env.close?.();
      if (isPromiseLike(closing)) Promise.resolve(closing).catch((err: unknown) => this.ctx.report(err, { operation: 'close', transport: 'http' }));
    } catch (err) {
      this.ctx.report(err, { operation: 'close', transport: 'http' });
    }
  }

  private end(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    session.timer?.unsubscribe();
    this.slots.release();
    this.closeEnv(session.env);
    return true;
  }

  /** (Re)starts the session's idle timer. */
  private touch(id: string, session: McpSession): void {
    const idleMs = this.options.idleTimeoutMs;
    if (!idleMs) return;
    session.timer?.unsubscribe();
    session.timer = this.scheduler.schedule(() => {
      this.end(id);
      this.expired.add(id);
      if (this.expired.size > REMEMBERED_EXPIRED) this.expired.delete(this.expired.values().next().value!);
    }, idleMs);
  }

  private unknown(id: string): JsonRpcFault {
    const why = this.expired.has(id) ? ` (closed by the server after ${this.options.idleTimeoutMs} ms idle)` : '';
    return new JsonRpcFault(JSON_RPC.INVALID_PARAMS, `Unknown session_id: ${id}${why}`);
  }

  private sessionFor(id: string): McpSession {
    const session = this.sessions.get(id);
    if (!session) throw this.unknown(id);
    this.touch(id, session);
    return session;
  }
}
