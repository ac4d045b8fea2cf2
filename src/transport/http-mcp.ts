import type { Observable } from 'rxjs';
import { ProtocolError } from '../errors/index.js';
import { Call, fromRequest, type Reply } from '../internal/call.js';
import { JsonRpcResponseMessage } from '../protocol/mcp-messages.js';
import type { HttpClient } from './http-client.js';

/**
 * JSON-RPC over `POST /mcp` (OpenEnv's dialect: always HTTP 200, the answer in the body). Each
 * request gets the client's next id; a reply carrying another id is a `ProtocolError` (an id of
 * `null` is accepted with an `error`: the server could not read the request).
 *
 * @example
 * const mcp = httpMcp(client);
 * mcp('tools/list').subscribe((reply) => console.log(reply));
 */
export function httpMcp(client: HttpClient): (method: string, params?: Record<string, unknown>) => Observable<JsonRpcResponseMessage> {
  let nextId = 1;
  return (method, params) =>
    fromRequest<JsonRpcResponseMessage>((reply) => {
      const id = nextId++;
      const call = new McpIdCheck(reply, id, client.url);
      const body = params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id };
      return call.sent(client.send({ request: 'mcp', method: 'POST', path: 'mcp', body, schema: JsonRpcResponseMessage }, call));
    });
}

/** Hands on the reply to request `id`; a reply to another id fails the request. */
class McpIdCheck extends Call<JsonRpcResponseMessage> {
  constructor(
    private readonly reply: Reply<JsonRpcResponseMessage>,
    private readonly id: number,
    private readonly url: string,
  ) {
    super();
  }

  protected answered(answer: JsonRpcResponseMessage): void {
    if (answer.id === this.id || (answer.id === null && 'error' in answer)) return this.reply.value(answer);
    this.reply.error(
      new ProtocolError(`POST /mcp answered JSON-RPC id ${JSON.stringify(answer.id)} to request id ${this.id}`, JSON.stringify(answer).slice(0, 2000), {
        url: this.url,
        transport: 'http',
        request: 'mcp',
      }),
    );
  }

  protected failed(error: unknown): void {
    this.reply.error(error);
  }
}
