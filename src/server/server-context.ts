import type { IncomingHttpHeaders } from 'node:http';
import type { OriginVerdict } from './origin-guard.js';
import type { AnyEnvDefinition, Environment, MaybePromise } from '../environment/environment.js';
import type { ToolDescriptor } from '../environment/tools.js';
import type { ParsedAction } from './action-parser.js';
import type { JsonRpcToolBackend } from './json-rpc.js';
import { JsonRpcFault } from '../errors/json-rpc-fault.js';
import type { SessionSlots } from './session-slots.js';

/** JSON-RPC's capacity code (as `JSON_RPC.CAPACITY`), spelled here so this file needs nothing from json-rpc.ts at run time. */
const CAPACITY = -32000;

/** A stateless request refused because `maxStatelessRequests` envs are being used already (503 over HTTP, -32000 over JSON-RPC). */
export class StatelessBusyFault extends JsonRpcFault {
  constructor(slots: SessionSlots) {
    super(CAPACITY, `Server busy: ${slots.active()}/${slots.max} stateless requests in flight (maxStatelessRequests)`);
  }
}

/** Where an env error happened, for `ServeOptions.onError`. */
export interface ServerErrorInfo {
  /** The env method (or `create`) that threw, `tool` for a JSON-RPC tool call, or `send` when a frame could not be serialised. */
  operation: 'create' | 'reset' | 'step' | 'state' | 'close' | 'send' | 'tool';
  transport: 'http' | 'ws';
}

/** What the HTTP and WS handlers share; built once by `serve()`, so nothing is recomputed per request. */
export interface ServerContext {
  readonly definition: AnyEnvDefinition;
  /** Pre-serialised bodies of the static routes. */
  readonly schemaJson: string;
  readonly metadataJson: string;
  readonly openapiJson: string;
  readonly maxBodyBytes: number;
  /** Stateless requests (`/reset`, `/step`, `/state`, session-less `POST /mcp` tool calls) building an env right now, bounded. */
  readonly statelessSlots: SessionSlots;
  /** Deepest JSON nesting a body or frame may have (checked before parsing). */
  readonly maxJsonDepth: number;
  /** Validates a step action (tool envs accept `list_tools` besides their action schema). */
  parseAction(data: unknown): ParsedAction;
  /** A tool env's tools, described once; undefined for envs without tools. */
  readonly tools: readonly ToolDescriptor[] | undefined;
  /** Where `POST /mcp` tool calls go (fresh envs, `openenv/session/create` sessions); undefined without tools. */
  readonly mcpBackend: JsonRpcToolBackend | undefined;
  /** `serverInfo` of a standard MCP `initialize`. */
  readonly serverInfo: { name: string; version: string };
  isAuthorized(authorization: string | undefined): boolean;
  /** The `Origin` check every request and upgrade passes before anything else (see `originGuard`). */
  checkOrigin(headers: IncomingHttpHeaders): OriginVerdict;
  /** Reports an env failure to the user's `onError` (never throws). */
  report(error: unknown, info: ServerErrorInfo): void;
}

/**
 * Runs `fn` on a fresh env and closes it afterwards, as OpenEnv's stateless HTTP routes do.
 * A failing `close` is reported, not thrown: the answer is already computed. At most
 * `statelessSlots.max` run at once: one more throws `StatelessBusyFault` before building an env.
 *
 * @example
 * const outcome = await withFreshEnv(ctx, (env) => env.reset({}));
 */
export async function withFreshEnv<T>(
  ctx: Pick<ServerContext, 'definition' | 'report' | 'statelessSlots'>,
  operation: 'reset' | 'step' | 'state' | 'tool',
  fn: (env: Environment) => MaybePromise<T>,
): Promise<T> {
  if (!ctx.statelessSlots.acquire()) throw new StatelessBusyFault(ctx.statelessSlots);
  try {
    return await runOnFreshEnv(ctx, operation, fn);
  } finally {
    ctx.statelessSlots.release();
  }
}

async function runOnFreshEnv<T>(
  ctx: Pick<ServerContext, 'definition' | 'report'>,
  operation: 'reset' | 'step' | 'state' | 'tool',
  fn: (env: Environment) => MaybePromise<T>,
): Promise<T> {
  let env: Environment;
  try {
    env = await ctx.definition.create();
  } catch (err) {
    ctx.report(err, { operation: 'create', transport: 'http' });
    throw err;
  }
  try {
    return await fn(env);
  } catch (err) {
    ctx.report(err, { operation, transport: 'http' });
    throw err;
  } finally {
    try {
      await env.close?.();
    } catch (err) {
      ctx.report(err, { operation: 'close', transport: 'http' });
    }
  }
}
