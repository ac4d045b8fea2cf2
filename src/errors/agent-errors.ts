import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * The model did not answer with a usable tool call: after `maxCorrections` replies that named an
 * unknown tool, carried arguments that are not JSON or fail the tool's schema, or called no tool
 * (each answered back to the model with the error), it still did not. `problems` lists what was
 * wrong with each reply, in order. Fails the episode, not the run: another episode may go well.
 *
 * @example
 * const Grid = defineEnv({ name: 'grid_world' }); // untyped: the model's action is checked against /schema
 * Grid.connect('http://127.0.0.1:8000')
 *   .pipe(withSession((env) => env.schema().pipe(switchMap(({ action }) => {
 *     const policy = chatPolicy({ baseURL: 'http://127.0.0.1:8080/v1', model: 'llama3.1', tools: [actionAsTool(action)] });
 *     return env.episode(policy, { maxSteps: 3 });
 *   }))))
 *   .subscribe({ error: (e) => e.cause instanceof AgentReplyError && console.log(e.cause.problems) });
 */
export class AgentReplyError extends OpenEnvError {
  constructor(
    readonly problems: readonly string[],
    context: ErrorContext = {},
  ) {
    super(`The model gave no valid tool call in ${problems.length} replies (last: ${problems[problems.length - 1] ?? 'none'})`, 'ERR_AGENT_REPLY', context);
  }
}

/**
 * A Chat Completions request failed: the endpoint answered an error status (after the client's
 * retries for 408, 409, 429 and 5xx, which honour `Retry-After`), or could not be reached.
 * `status` is the last HTTP status (undefined when no answer came). `retriable` errors (429, 5xx,
 * connection) fail one episode; the others (401, 403, 404, 400: a wrong key, model or request)
 * would fail every episode, so they stop a collection. The API key is never in the message.
 *
 * @example
 * const EchoMcp = defineEnv({ name: 'echo_mcp' });
 * const source = perServer(inProcessEndpoint(echoMcpEnv, { maxSessions: 2 }), EchoMcp.fromEndpoint);
 * const { tools } = await firstValueFrom(EchoMcp.connect('http://127.0.0.1:8000').pipe(withSession((env) => env.listTools())));
 * const policy = chatPolicy({ baseURL: 'http://127.0.0.1:8080/v1', model: 'llama3.1', tools: agentToolsOf(tools) });
 * collect(source, policy, { out: 'runs/agent', episodes: 4, sessions: 2, maxSteps: 3 })
 *   .subscribe({ error: (e) => e.cause?.code === 'ERR_LLM_REQUEST' && console.log(e.cause.status) });
 */
export class LlmRequestError extends OpenEnvError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retriable: boolean,
    context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, 'ERR_LLM_REQUEST', context, options);
  }
}

/** The model gave no decision within the policy's `stepTimeoutMs` (retries and corrections included); the request was aborted. */
export class LlmTimeoutError extends OpenEnvError {
  constructor(
    readonly timeoutMs: number,
    context: ErrorContext = {},
  ) {
    super(`The model gave no decision within ${timeoutMs} ms`, 'ERR_LLM_TIMEOUT', context);
  }
}

/**
 * A feature needs a package that is an optional peer dependency and it is not installed (e.g.
 * `chatPolicy` needs `openai`). `packageName` names it; the message says how to install it.
 *
 * @example
 * // npm install openai
 */
export class OptionalDependencyError extends OpenEnvError {
  constructor(
    readonly packageName: string,
    feature: string,
    options?: { cause?: unknown },
  ) {
    super(`${feature} needs the optional package "${packageName}": npm install ${packageName}`, 'ERR_OPTIONAL_DEPENDENCY', { package: packageName }, options);
  }
}

/**
 * True for an agent failure that belongs to one episode (a model that gave no valid tool call, a
 * timed-out or retriable model request), false for one every episode would meet (a wrong key or
 * model, a missing package). `collect` records the first kind as a failed episode and goes on.
 *
 * @example
 * isEpisodeLocalAgentFailure(new LlmTimeoutError(30_000)); // true
 */
export function isEpisodeLocalAgentFailure(error: unknown): boolean {
  if (error instanceof AgentReplyError || error instanceof LlmTimeoutError) return true;
  return error instanceof LlmRequestError && error.retriable;
}
