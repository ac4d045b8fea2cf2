import type { Observable } from 'rxjs';
import type { JsonRpcResponseMessage } from '../protocol/mcp-messages.js';
import { createToolApi, type SessionTools } from '../tools/tool-api.js';
import type { ToolSchemas } from '../tools/tool-types.js';
import { SessionStateError } from '../errors/usage-errors.js';
import type { EnvSpec } from './env-spec.js';
import { sessionObservable, type SessionState } from './session-call.js';

/**
 * The tool methods of one session (`listTools`, `callTool`, `mcp`, `mcpSession`) on its
 * transport, each request with the session's context. A tool step is an episode step: it moves
 * the step index like `step()`, even when the tool failed.
 *
 * @example
 * const tools = sessionTools(state, { name: 'echo_mcp', tools: 'discover' });
 * tools.callTool('echo_message', { message: 'hi' }).subscribe(console.log);
 */
export function sessionTools<T extends ToolSchemas>(state: SessionState, spec: EnvSpec<unknown, unknown, unknown>): SessionTools<T> {
  const { transport } = state;
  return createToolApi<T>({
    env: spec.name,
    tools: spec.tools,
    step: (action, project) =>
      sessionObservable(
        state,
        'step',
        () => transport.step(action),
        (wire, call) => {
          state.stepIndex += 1;
          return project(wire, call.context);
        },
        'next',
      ),
    mcp: (method, params, project) =>
      sessionObservable(
        state,
        'mcp',
        (call): Observable<JsonRpcResponseMessage> => {
          if (!transport.mcp) throw new SessionStateError(`The ${transport.kind} transport of env ${spec.name} cannot send JSON-RPC (mcp)`, call.context);
          return transport.mcp(method, params);
        },
        (reply, call) => project(reply, call.context),
      ),
  });
}
