import { serverBaseUrl, wsUrlOf } from '../internal/server-url.js';

/**
 * The `/ws` endpoint of a server, as the Python client builds it (`http`→`ws`, `https`→`wss`,
 * `/ws` appended), from any URL `serverBaseUrl` accepts (a pasted `/ws` is not doubled). Throws
 * `InvalidUrlError` for one it refuses.
 *
 * @example
 * wsUrlFor('https://host.example/env/') // 'wss://host.example/env/ws'
 */
export function wsUrlFor(url: string): string {
  return wsUrlOf(serverBaseUrl(url));
}
