import { concatMap, defer, from, map, Observable } from 'rxjs';
import { z } from 'zod';
import type { ErrorContext } from '../errors/openenv-error.js';
import { JsonRpcError, ToolArgumentsError } from '../errors/tool-errors.js';
import { isRecord } from '../internal/is-record.js';
import { jsonRpcErrorOf, type JsonRpcResponseMessage } from '../protocol/mcp-messages.js';
import { toolInfos, toolRpcOutcome, toolStepOutcome } from './tool-results.js';
import type {
  AnyToolSchemas,
  CallToolOptions,
  ListToolsOptions,
  ToolArgs,
  ToolCallOutcome,
  ToolCallResult,
  ToolList,
  ToolName,
  ToolResultValue,
  ToolSchema,
  ToolSchemas,
} from './tool-types.js';

/** What a session lends the tool API: its step and JSON-RPC paths, each adding the session's error context. */
export interface ToolApiDeps {
  env: string;
  /** Declared tools, `'discover'` (validate against the server's `tools/list`), or undefined (no checks). */
  tools: ToolSchemas | 'discover' | undefined;
  /** Sends a step action as is; `project` runs on the reply (a throw errors the call, with context). */
  step<T>(action: Record<string, unknown>, project: (reply: { observation: unknown; reward: number | null; done: boolean }, context: ErrorContext) => T): Observable<T>;
  /** Sends a JSON-RPC request; `project` runs on the response. */
  mcp<T>(method: string, params: Record<string, unknown> | undefined, project: (reply: JsonRpcResponseMessage, context: ErrorContext) => T): Observable<T>;
}

/** Tool calls bound to one `openenv/session/create` session (see `mcpSession`). */
export interface McpToolSession<T extends ToolSchemas = AnyToolSchemas> {
  readonly sessionId: string;
  /** JSON-RPC `tools/list` within this MCP session. */
  listTools(): Observable<ToolList>;
  /** JSON-RPC `tools/call` within this MCP session; a failure the server reports is emitted as `{ ok: false, error }`. */
  callTool<K extends ToolName<T>>(name: K, args: ToolArgs<T, K>, options: { toolErrors: 'value' }): Observable<ToolCallOutcome<ToolResultValue<T, K>>>;
  /** JSON-RPC `tools/call` within this MCP session; a failure the server reports errors with `ToolError`. */
  callTool<K extends ToolName<T>>(name: K, args: ToolArgs<T, K>, options?: { toolErrors?: 'error' }): Observable<ToolCallResult<ToolResultValue<T, K>>>;
}

/** The tool methods of an `EnvSession`. Every method is cold and emits one value. */
export interface SessionTools<T extends ToolSchemas = AnyToolSchemas> {
  /** The server's tools: a `list_tools` step (default) or a JSON-RPC `tools/list` (`via: 'mcp'`). */
  listTools(options?: ListToolsOptions): Observable<ToolList>;
  /**
   * Calls a tool: a `call_tool` step by default (reward, done; an episode step), or JSON-RPC
   * `tools/call` with `via: 'mcp'`. Declared tools type the name and the arguments and check the
   * arguments before anything is sent (`ToolArgumentsError` naming the tool and the field), and the
   * result when a result schema was given. A failure the server reports is a `ToolError`, thrown or
   * (with `toolErrors: 'value'`) emitted as `{ ok: false, error }`.
   */
  callTool<K extends ToolName<T>>(name: K, args: ToolArgs<T, K>, options: CallToolOptions & { toolErrors: 'value' }): Observable<ToolCallOutcome<ToolResultValue<T, K>>>;
  /** As above; a failure the server reports errors the Observable with `ToolError` (the default, `toolErrors: 'error'`). */
  callTool<K extends ToolName<T>>(name: K, args: ToolArgs<T, K>, options?: CallToolOptions & { toolErrors?: 'error' }): Observable<ToolCallResult<ToolResultValue<T, K>>>;
  /**
   * Raw JSON-RPC: a WS `mcp` message (several outstanding at once, replies matched by id) or a
   * stateless `POST /mcp` over HTTP. Emits `result`; an error object errors with `JsonRpcError`.
   */
  mcp<R = unknown>(method: string, params?: Record<string, unknown>): Observable<R>;
  /**
   * An OpenEnv MCP session (`openenv/session/create` on subscribe, `openenv/session/close` on
   * unsubscribe): JSON-RPC tool calls that share one env instance on the server, for users
   * without a WS session. OpenEnv's dialect over the HTTP transport.
   */
  mcpSession(): Observable<McpToolSession<T>>;
}

/** Undeclared tools only need a JSON object of arguments. */
const ANY_ARGUMENTS = (name: string): Record<string, ToolSchema> => ({ [name]: z.record(z.string(), z.unknown()) });

const inputOf = (entry: ToolSchema): z.ZodType => (entry instanceof z.ZodType ? entry : entry.input);
const resultOf = (entry: ToolSchema | undefined): z.ZodType | undefined => (entry === undefined || entry instanceof z.ZodType ? undefined : entry.result);

function lookup(tools: Readonly<Record<string, ToolSchema>> | undefined, name: string): ToolSchema | undefined {
  return tools && Object.prototype.hasOwnProperty.call(tools, name) ? tools[name] : undefined;
}

/**
 * Checks a tool call's arguments against the declared tools and returns what to send (the
 * schema's output: defaults applied). An undeclared name is refused too. Throws `ToolArgumentsError`.
 *
 * @example
 * checkToolArguments({ echo: z.object({ message: z.string() }) }, 'echo', { message: 1 }, {})
 * // throws ToolArgumentsError: Invalid arguments for tool echo: message: Invalid input: expected string, received number
 */
export function checkToolArguments(tools: Readonly<Record<string, ToolSchema>>, name: string, args: unknown, context: ErrorContext): Record<string, unknown> {
  const entry = lookup(tools, name);
  if (!entry) {
    const issue = { code: 'custom', path: [], message: `unknown tool (declared: ${Object.keys(tools).join(', ') || 'none'})`, input: args } as unknown as z.core.$ZodIssue;
    throw new ToolArgumentsError(name, [issue], args, context);
  }
  const parsed = inputOf(entry).safeParse(args);
  if (!parsed.success) throw new ToolArgumentsError(name, parsed.error.issues, args, context);
  if (!isRecord(parsed.data)) throw new ToolArgumentsError(name, [{ code: 'custom', path: [], message: 'arguments must be a JSON object', input: parsed.data } as unknown as z.core.$ZodIssue], args, context);
  return parsed.data;
}

/** The server's tools/list as zod schemas (`z.fromJSONSchema`); a schema zod cannot read is left unchecked. */
function discoveredSchemas(reply: JsonRpcResponseMessage, context: ErrorContext): Record<string, ToolSchema> {
  const failure = jsonRpcErrorOf(reply);
  if (failure) throw new JsonRpcError('tools/list', failure.code, failure.message, failure.data, context);
  const schemas: Record<string, ToolSchema> = {};
  for (const tool of toolInfos((reply as { result?: unknown }).result, 'mcp', () => context)) {
    try {
      schemas[tool.name] = tool.inputSchema ? z.fromJSONSchema(tool.inputSchema as never) : z.record(z.string(), z.unknown());
    } catch {
      schemas[tool.name] = z.record(z.string(), z.unknown());
    }
  }
  return schemas;
}

/** A tool call's outcome as the caller asked for it: a failure thrown (default) or kept as a value. */
function settle(outcome: ToolCallOutcome, toolErrors: 'error' | 'value' | undefined): ToolCallOutcome {
  if (!outcome.ok && toolErrors !== 'value') throw outcome.error;
  return outcome;
}

/** `listTools`: a `list_tools` step, or JSON-RPC `tools/list` (`via: 'mcp'`, or within an MCP session). */
function listToolsVia(deps: ToolApiDeps, options: ListToolsOptions, sessionId: string | undefined): Observable<ToolList> {
  if (options.via === 'mcp' || sessionId !== undefined) {
    return deps.mcp('tools/list', sessionId === undefined ? undefined : { session_id: sessionId }, (reply, ctx) => {
      const failure = jsonRpcErrorOf(reply);
      if (failure) throw new JsonRpcError('tools/list', failure.code, failure.message, failure.data, ctx);
      return { tools: toolInfos((reply as { result?: unknown }).result, 'mcp', () => ctx), reward: null, done: false };
    });
  }
  return deps.step({ type: 'list_tools' }, (reply, ctx) => ({ tools: toolInfos(reply.observation, 'step', () => ctx), reward: reply.reward, done: reply.done }));
}

/** Raw JSON-RPC: the `result`, or `JsonRpcError` for an error object. */
function rpc<R>(deps: ToolApiDeps, method: string, params?: Record<string, unknown>): Observable<R> {
  return deps.mcp(method, params, (reply, ctx) => {
    const failure = jsonRpcErrorOf(reply);
    if (failure) throw new JsonRpcError(method, failure.code, failure.message, failure.data, ctx);
    return (reply as { result?: unknown }).result as R;
  });
}

/**
 * Builds the tool methods of a session on the session's own step and JSON-RPC paths.
 *
 * @example
 * Object.assign(session, createToolApi({ env: 'echo', tools: spec.tools, step, mcp }));
 */
export function createToolApi<T extends ToolSchemas = AnyToolSchemas>(deps: ToolApiDeps): SessionTools<T> {
  const declared = deps.tools === 'discover' ? undefined : deps.tools;
  let discovery: Promise<Record<string, ToolSchema>> | undefined;

  /** Arguments checked against the server's own tools/list: one JSON-RPC call per session (not an episode step), retried after a failure. */
  const discoveredArguments = (name: string, args: unknown, context: ErrorContext): Observable<Record<string, unknown>> =>
    defer(() => {
      discovery ??= new Promise<Record<string, ToolSchema>>((resolve, reject) =>
        deps.mcp('tools/list', undefined, discoveredSchemas).subscribe({ next: resolve, error: reject }),
      ).catch((error: unknown) => {
        discovery = undefined;
        throw error;
      });
      return from(discovery).pipe(map((tools) => checkToolArguments(tools, name, args, context)));
    });

  function callTool(name: string, args: unknown, options: CallToolOptions = {}, sessionId?: string): Observable<ToolCallOutcome> {
    const resultSchema = resultOf(lookup(declared, name));
    const context: ErrorContext = { env: deps.env, tool: name };
    const send = (sent: Record<string, unknown>): Observable<ToolCallOutcome> =>
      options.via === 'mcp' || sessionId !== undefined
        ? deps.mcp('tools/call', { name, arguments: sent, ...(sessionId !== undefined && { session_id: sessionId }) }, (reply, ctx) =>
            settle(toolRpcOutcome(name, reply, resultSchema, () => ({ ...ctx, tool: name })), options.toolErrors),
          )
        : deps.step({ type: 'call_tool', tool_name: name, arguments: sent }, (reply, ctx) =>
            settle(toolStepOutcome(name, reply.observation, { reward: reply.reward, done: reply.done }, resultSchema, () => ({ ...ctx, tool: name })), options.toolErrors),
          );
    if (deps.tools === 'discover') return discoveredArguments(name, args, context).pipe(concatMap(send));
    // Declared tools are checked synchronously: no operator layer on the hot path.
    return new Observable<ToolCallOutcome>((subscriber) => {
      let sent: Record<string, unknown>;
      try {
        sent = declared ? checkToolArguments(declared, name, args, context) : isRecord(args) ? args : checkToolArguments(ANY_ARGUMENTS(name), name, args, context);
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      return send(sent).subscribe(subscriber);
    });
  }

  const listTools = (options: ListToolsOptions = {}, sessionId?: string): Observable<ToolList> => listToolsVia(deps, options, sessionId);
  const mcp = <R>(method: string, params?: Record<string, unknown>): Observable<R> => rpc<R>(deps, method, params);

  function mcpSession(): Observable<McpToolSession<T>> {
    return new Observable<McpToolSession<T>>((subscriber) => {
      let sessionId: string | undefined;
      const creation = mcp<{ session_id?: unknown }>('openenv/session/create').subscribe({
        next: (created) => {
          if (typeof created?.session_id !== 'string') {
            subscriber.error(new JsonRpcError('openenv/session/create', -32603, 'The server answered without a session_id', created, { env: deps.env }));
            return;
          }
          const id = created.session_id;
          sessionId = id;
          subscriber.next({
            sessionId: id,
            listTools: () => listTools({}, id),
            callTool: ((name: string, args: unknown, options: CallToolOptions = {}) => callTool(name, args, options, id)) as McpToolSession<T>['callTool'],
          });
        },
        error: (error: unknown) => subscriber.error(error),
      });
      return () => {
        creation.unsubscribe();
        // Best effort: if the transport is already closed, the server's idle timeout ends the session.
        if (sessionId !== undefined) mcp('openenv/session/close', { session_id: sessionId }).subscribe({ error: () => undefined });
      };
    });
  }

  return {
    listTools: (options?: ListToolsOptions) => listTools(options),
    callTool: ((name: string, args: unknown, options?: CallToolOptions) => callTool(name, args, options)) as SessionTools<T>['callTool'],
    mcp,
    mcpSession,
  };
}
