import { randomUUID } from 'node:crypto';
import { isObservable, lastValueFrom } from 'rxjs';
import { messageOf } from '../internal/error-context.js';
import { isPromiseLike } from '../internal/is-promise-like.js';
import type { EnvResetOptions, EnvState, Environment, MaybePromise, StepOutcome } from './environment.js';
import { openEnvToolResult, wrapsResult, type CatalogEntry } from './tool-catalog.js';
import { invalidArgumentsText } from './tool-arguments.js';
import type { ToolContext, ToolDescriptor, ToolHost, ToolInvocation, ToolSet } from './tools.js';

/** A step action a tool env accepts (already validated by the server). */
export type McpStepAction =
  | { type: 'list_tools'; metadata?: Record<string, unknown> }
  | { type: 'call_tool'; tool_name: string; arguments?: Record<string, unknown>; metadata?: Record<string, unknown> };

/** What a tool env's optional `reset` hook gets. */
export interface ToolResetContext {
  readonly episodeId: string;
  readonly seed?: number;
  readonly options: EnvResetOptions;
  readonly session: Record<string, unknown>;
}

/** A tool env's `reset` hook: prepares the per-session `session` record; what it returns becomes the reset observation. */
export type ToolResetHook = (context: ToolResetContext) => MaybePromise<Record<string, unknown> | void>;

/**
 * One instance of a tool env (OpenEnv's `MCPEnvironment`): `list_tools` and `call_tool` steps,
 * each counted in `step_count`; `tools/list` and `tools/call` for JSON-RPC (not steps). Sync
 * handlers are answered synchronously (no promise on the hot path). Tool failures never throw:
 * they become the observation's `error` (`tool_not_found`, `invalid_args`, `execution_error`).
 *
 * @example
 * const env = new ToolEnvironment(tools, buildToolCatalog(tools));
 * env.step({ type: 'call_tool', tool_name: 'echo_message', arguments: { message: 'hi' } });
 */
export class ToolEnvironment implements Environment<McpStepAction, Record<string, unknown>>, ToolHost {
  private episodeId: string = randomUUID();
  private stepCount = 0;
  private session: Record<string, unknown> = {};
  private readonly descriptors: readonly ToolDescriptor[];
  private readonly stepTools: ReadonlyArray<Record<string, unknown>>;

  constructor(
    private readonly tools: ToolSet,
    private readonly catalog: ReadonlyMap<string, CatalogEntry>,
    private readonly onReset?: ToolResetHook,
  ) {
    this.descriptors = [...catalog.values()].map(({ wrapResult: _w, ...descriptor }) => descriptor);
    // The list_tools observation: snake_case `input_schema`, no output schema (as OpenEnv sends it).
    this.stepTools = this.descriptors.map((d) => ({ name: d.name, description: d.description, input_schema: d.inputSchema }));
  }

  /** A new episode: fresh `episode_id` (the client's, or a uuid), step count 0, an empty `session`, then the reset hook. */
  reset(options: EnvResetOptions): MaybePromise<StepOutcome<Record<string, unknown>>> {
    this.episodeId = options.episodeId ?? randomUUID();
    this.stepCount = 0;
    this.session = {};
    const observation = this.onReset?.({
      episodeId: this.episodeId,
      ...(options.seed !== undefined && { seed: options.seed }),
      options,
      session: this.session,
    });
    const outcome = (value: Record<string, unknown> | void): StepOutcome<Record<string, unknown>> => ({ observation: value ?? {}, reward: 0, done: false });
    return isPromiseLike<Record<string, unknown> | void>(observation) ? Promise.resolve(observation).then(outcome) : outcome(observation);
  }

  step(action: McpStepAction): MaybePromise<StepOutcome<Record<string, unknown>>> {
    this.stepCount++;
    if (action.type === 'list_tools') return { observation: { tools: this.stepTools }, reward: null, done: false };
    const invocation = this.invokeTool(action.tool_name, action.arguments ?? {});
    return isPromiseLike<ToolInvocation>(invocation) ? Promise.resolve(invocation).then(toStepOutcome) : toStepOutcome(invocation);
  }

  state(): EnvState {
    return { episode_id: this.episodeId, step_count: this.stepCount };
  }

  /** The tools as `tools/list` lists them (JSON Schemas generated once, at construction). */
  describeTools(): readonly ToolDescriptor[] {
    return this.descriptors;
  }

  /** Validates the arguments, runs the handler, checks the result; never throws or rejects. */
  invokeTool(name: string, args: Record<string, unknown>): MaybePromise<ToolInvocation> {
    const context: ToolContext = { reward: null, done: false, episodeId: this.episodeId, stepCount: this.stepCount, session: this.session };
    const fail = (errorType: 'tool_not_found' | 'invalid_args' | 'execution_error', message: string): ToolInvocation => ({
      ok: false,
      tool: name,
      errorType,
      message,
      reward: context.reward,
      done: context.done,
    });
    const tool = Object.prototype.hasOwnProperty.call(this.tools, name) ? this.tools[name] : undefined;
    if (!tool) return fail('tool_not_found', `Unknown tool: '${name}'`);
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      const message = invalidArgumentsText(name, tool.input, args, parsed.error.issues);
      return fail(argumentsErrorType(message), message);
    }

    const finish = (value: unknown): ToolInvocation => {
      let result = value === undefined ? null : value;
      if (tool.output) {
        const checked = tool.output.safeParse(result);
        if (!checked.success) return fail('execution_error', `Output validation error: ${checked.error.issues.map((i) => i.message).join('; ')}`);
        result = checked.data;
      }
      return { ok: true, tool: name, value: result, wrapped: wrapsResult(this.catalog.get(name), result), reward: context.reward, done: context.done };
    };
    const failed = (error: unknown): ToolInvocation => fail('execution_error', `Error calling tool '${name}': ${messageOf(error)}`);
    let answer: unknown;
    try {
      answer = tool.handler(parsed.data, context);
    } catch (error) {
      return failed(error);
    }
    if (isObservable(answer)) return lastValueFrom(answer, { defaultValue: null }).then(finish, failed);
    if (isPromiseLike(answer)) return Promise.resolve(answer).then(finish, failed);
    return finish(answer);
  }
}

function toStepOutcome(invocation: ToolInvocation): StepOutcome<Record<string, unknown>> {
  const observation = invocation.ok
    ? { tool_name: invocation.tool, result: openEnvToolResult(invocation.value, invocation.wrapped), error: null }
    : { tool_name: invocation.tool, result: null, error: { error_type: invocation.errorType, message: invocation.message } };
  return { observation, reward: invocation.reward, done: invocation.done };
}

/**
 * OpenEnv's MCPEnvironment files a failed FastMCP call by its message: `invalid_args` when it says
 * "invalid" or "argument" (a missing or unexpected argument), else `execution_error` (a
 * wrong-typed one: "Input should be a valid string"). Same words, same category here.
 */
function argumentsErrorType(message: string): 'invalid_args' | 'execution_error' {
  const text = message.toLowerCase();
  return text.includes('invalid') || text.includes('argument') ? 'invalid_args' : 'execution_error';
}
