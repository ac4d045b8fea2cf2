import type { z } from 'zod';
import { OpenEnvError, type ErrorContext } from './openenv-error.js';
import { describeIssues, issuePaths } from './describe-issues.js';

/**
 * A tool call failed on the server's side: the tool is unknown, its arguments were refused, or it
 * raised. Both ways a server reports that become this one class: an observation carrying
 * `error: {error_type, message}` (`errorType` set) and a JSON-RPC error object answering
 * `tools/call` (`rpcCode` set), as well as a result flagged `is_error`/`isError`
 * (`errorType: 'execution_error'`). Not a transport or protocol failure: the session is intact.
 *
 * @example
 * connectUrl(url) // an echo_mcp server; untyped tools: the server checks the arguments
 *   .pipe(withSession((env) => env.callTool('echo_message', {})))
 *   .subscribe({ error: (e) => e instanceof ToolError && console.log(e.tool, e.errorType ?? e.rpcCode) });
 */
export class ToolError extends OpenEnvError {
  constructor(
    readonly tool: string,
    /** OpenEnv's category (`tool_not_found`, `invalid_args`, `execution_error`, ...), when the server gave one. */
    readonly errorType: string | undefined,
    /** The JSON-RPC error code, when the failure came as a JSON-RPC error object. */
    readonly rpcCode: number | undefined,
    readonly toolMessage: string,
    context: ErrorContext = {},
    /** The observation or JSON-RPC error as received. */
    readonly body?: unknown,
  ) {
    super(`Tool ${tool} failed (${errorType ?? `JSON-RPC ${rpcCode}`}): ${toolMessage}`, 'ERR_TOOL', { tool, ...context });
  }
}

/** A JSON-RPC request (`env.mcp(method, params)`) was answered with an error object. */
export class JsonRpcError extends OpenEnvError {
  constructor(
    readonly method: string,
    readonly rpcCode: number,
    readonly rpcMessage: string,
    readonly data: unknown,
    context: ErrorContext = {},
  ) {
    super(`JSON-RPC ${method} failed (${rpcCode}): ${rpcMessage}`, 'ERR_JSON_RPC', context);
  }
}

/** A tool call's arguments failed the tool's schema (declared with `defineEnv({ tools })` or listed by the server). Nothing was sent. */
export class ToolArgumentsError extends OpenEnvError {
  constructor(
    readonly tool: string,
    readonly issues: readonly z.core.$ZodIssue[],
    readonly args: unknown,
    context: ErrorContext = {},
  ) {
    super(`Invalid arguments for tool ${tool}: ${describeIssues(issues)}`, 'ERR_TOOL_ARGUMENTS', { tool, ...context });
  }
  /** Dotted paths of the offending argument fields. */
  get fields(): string[] {
    return issuePaths(this.issues);
  }
}
