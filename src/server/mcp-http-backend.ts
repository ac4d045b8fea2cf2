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
export function createMcpHttpBackend(ctx: Pick<ServerContext, 'definition' | 'report' | 'tools' | 'statelessSlots'>, slots: SessionSlots, options: McpHttpBackendOptions = {}): McpHttpBackend {
  const sessions = new Map<string, McpSession>();
  const expired = new Set<string>();
  const scheduler = options.scheduler ?? asyncScheduler;

  const closeEnv = (env: Environment): void => {
    try {
      const closing = env.close?.();
      if (isPromiseLike(closing)) Promise.resolve(closing).catch((err: unknown) => ctx.report(err, { operation: 'close', transport: 'http' }));
    } catch (err) {
      ctx.report(err, { operation: 'close', transport: 'http' });
    }
  };

  const end = (id: string): boolean => {
    const session = sessions.get(id);
    if (!session) return false;
    sessions.delete(id);
    session.timer?.unsubscribe();
    slots.release();
    closeEnv(session.env);
    return true;
  };

  const touch = (id: string, session: McpSession): void => {
    const idleMs = options.idleTimeoutMs;
    if (!idleMs) return;
    session.timer?.unsubscribe();
    session.timer = scheduler.schedule(() => {
      end(id);
      expired.add(id);
      if (expired.size > REMEMBERED_EXPIRED) expired.delete(expired.values().next().value!);
    }, idleMs);
  };

  const unknown = (id: string): JsonRpcFault =>
    new JsonRpcFault(
      JSON_RPC.INVALID_PARAMS,
      expired.has(id) ? `Unknown session_id: ${id} (closed by the server after ${options.idleTimeoutMs} ms idle)` : `Unknown session_id: ${id}`,
    );

  const sessionFor = (id: string): McpSession => {
    const session = sessions.get(id);
    if (!session) throw unknown(id);
    touch(id, session);
    return session;
  };

  return {
    list: (sessionId) => (sessionId ? sessionFor(sessionId).host.describeTools() : (ctx.tools ?? [])),
    call: (name, args, sessionId) => {
      if (sessionId) return sessionFor(sessionId).host.invokeTool(name, args);
      return withFreshEnv(ctx, 'tool', (env) => hostOf(env).invokeTool(name, args));
    },
    createSession: async () => {
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
        closeEnv(env);
        throw err;
      }
      const id = randomUUID();
      const session: McpSession = { env, host, timer: undefined };
      sessions.set(id, session);
      touch(id, session);
      return id;
    },
    closeSession: (sessionId) => {
      if (!end(sessionId)) throw unknown(sessionId);
    },
    size: () => sessions.size,
    closeAll: async () => {
      for (const id of [...sessions.keys()]) end(id);
    },
  };
}
