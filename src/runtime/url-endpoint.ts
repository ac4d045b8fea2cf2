import { defer, of, type Observable } from 'rxjs';
import { serverBaseUrl } from '../internal/server-url.js';
import type { Endpoint } from './endpoint.js';

/**
 * The base form of a server URL (see `serverBaseUrl`: trailing slashes and a pasted route such
 * as `/ws` dropped; credentials, a query or a non-http(s) scheme refused with `InvalidUrlError`).
 */
export const normalizeServerUrl = serverBaseUrl;

/**
 * A server that is already running somewhere (a local process you started, a Hugging Face
 * Space). Nothing is started or stopped: the Observable emits the endpoint and completes.
 * Cold: a URL that cannot be used errors the Observable with `InvalidUrlError` (`ERR_INVALID_URL`).
 *
 * @example
 * urlEndpoint('http://127.0.0.1:8000/ws').subscribe((e) => console.log(e.url)); // http://127.0.0.1:8000
 */
export function urlEndpoint(url: string): Observable<Endpoint> {
  return defer(() => of({ url: serverBaseUrl(url), kind: 'url' as const }));
}
