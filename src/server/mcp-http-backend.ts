import { randomUUID } from 'node:crypto';
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
  timer: NodeJS.Timeout | undefined;
}

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
 * session's idle timeout, or shutdown. Sessions count against `maxSessions` (-32000 past it);
 * an unknown `session_id` is -32602.
 *
 * @example
 * const backend = createMcpHttpBackend(ctx, slots, { idleTimeoutMs: 60_000 });
 * answerJsonRpc(request, { tools: backend });
 */
export function createMcpHttpBackend(ctx: Pick<ServerContext, 'definition' | 'report' | 'tools'>, slots: SessionSlots, options: { idleTimeoutMs?: number } = {}): McpHttpBackend {
  const sessions = new Map<string, McpSession>();

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
    clearTimeout(session.timer);
    slots.release();
    closeEnv(session.env);
    return true;
  };

  const touch = (id: string, session: McpSession): void => {
    if (!options.idleTimeoutMs) return;
    clearTimeout(session.timer);
    session.timer = setTimeout(() => end(id), options.idleTimeoutMs);
    session.timer.unref();
  };

  const sessionFor = (id: string): McpSession => {
    const session = sessions.get(id);
    if (!session) throw new JsonRpcFault(JSON_RPC.INVALID_PARAMS, `Unknown session_id: ${id}`);
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
      if (!end(sessionId)) throw new JsonRpcFault(JSON_RPC.INVALID_PARAMS, `Unknown session_id: ${sessionId}`);
    },
    size: () => sessions.size,
    closeAll: async () => {
      for (const id of [...sessions.keys()]) end(id);
    },
  };
}
