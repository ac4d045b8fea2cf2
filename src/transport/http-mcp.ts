import { map, type Observable } from 'rxjs';
import { ProtocolError } from '../errors/index.js';
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
  return (method, params) => {
    const id = nextId++;
    return client
      .request({
        request: 'mcp',
        method: 'POST',
        path: 'mcp',
        body: params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id },
        schema: JsonRpcResponseMessage,
      })
      .pipe(
        map((reply) => {
          if (reply.id === id || (reply.id === null && 'error' in reply)) return reply;
          throw new ProtocolError(`POST /mcp answered JSON-RPC id ${JSON.stringify(reply.id)} to request id ${id}`, JSON.stringify(reply).slice(0, 2000), {
            url: client.url,
            transport: 'http',
            request: 'mcp',
          });
        }),
      );
  };
}
