import { z } from 'zod';
import { defineToolEnv } from '../environment/define-tool-env.js';
import { defineTool } from '../environment/tools.js';
import { codePointLength } from './echo.js';

const MessageArgs = z.strictObject({ message: z.string() });

/**
 * OpenEnv's generation-H echo env, an MCP tool env: `echo_message` returns the message,
 * `echo_with_length` returns `{message, length}`. Reset observation `{}`, reward `null` for every
 * tool step, never done. Unknown tools and bad arguments are `observation.error` (200), as recorded.
 *
 * @example
 * const server = await serve(echoMcpEnv);
 * // {"type":"step","data":{"type":"call_tool","tool_name":"echo_message","arguments":{"message":"hi"}}}
 * await server.close();
 */
export const echoMcpEnv = defineToolEnv({
  name: 'echo_mcp',
  title: 'EchoEnvironment',
  tools: {
    echo_message: defineTool({
      description: 'Echo back the provided message.\n\nArgs:\n    message: The message to echo back\n\nReturns:\n    The same message that was provided',
      input: MessageArgs,
      output: z.string(),
      handler: ({ message }) => message,
    }),
    echo_with_length: defineTool({
      description:
        'Echo back the message with its length.\n\nArgs:\n    message: The message to echo back\n\nReturns:\n    Dictionary with the message and its length',
      input: MessageArgs,
      output: z.record(z.string(), z.unknown()),
      handler: ({ message }) => ({ message, length: codePointLength(message) }),
    }),
  },
});
