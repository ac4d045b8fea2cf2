import type { ErrorContext } from '../errors/index.js';
import { parseHttpUrl } from './http-client.js';

/**
 * The `/ws` endpoint of a server, as the Python client builds it: `http`→`ws`, `https`→`wss`,
 * `/ws` appended to the base path (query kept). A URL that is not http(s) is a `ConnectionError`.
 *
 * @example
 * wsUrlFor('https://host.example/env/') // 'wss://host.example/env/ws'
 */
export function wsUrlFor(baseUrl: string, context: ErrorContext = {}): string {
  const url = parseHttpUrl(baseUrl, context);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  return url.toString();
}
