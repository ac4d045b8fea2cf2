/**
 * Server-internal: a JSON-RPC error raised by a tool backend (unknown session, capacity) and
 * turned into the JSON-RPC error object of the reply by the `/mcp` handlers. Never reaches a
 * client as an exception, so it is not an `OpenEnvError` and not exported from the package.
 */
export class JsonRpcFault extends Error {
  constructor(
    /** The JSON-RPC error code of the reply (-32602, -32000, ...). */
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
