import { of, type Observable } from 'rxjs';
import { OpenEnvError } from '../errors/index.js';
import type { Endpoint } from './endpoint.js';

/**
 * Checks that `url` is an absolute http(s) URL without credentials and returns its base form
 * (no trailing slash, no query or fragment). Throws `OpenEnvError` code `ERR_INVALID_URL`.
 */
export function normalizeServerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OpenEnvError(`Invalid server URL ${JSON.stringify(url)}: expected e.g. http://127.0.0.1:8000`, 'ERR_INVALID_URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new OpenEnvError(
      `Unsupported server URL scheme ${parsed.protocol} in ${JSON.stringify(url)}: use http:// or https:// (the /ws socket is derived from it)`,
      'ERR_INVALID_URL',
    );
  }
  if (parsed.username || parsed.password) {
    // Error contexts print the URL: credentials belong in headers.
    throw new OpenEnvError('Server URL must not contain credentials: pass a token in headers instead', 'ERR_INVALID_URL', {
      url: `${parsed.protocol}//${parsed.host}${parsed.pathname}`,
    });
  }
  if (parsed.search || parsed.hash) {
    throw new OpenEnvError(`Server URL ${JSON.stringify(url)} must not have a query or fragment`, 'ERR_INVALID_URL');
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}

/**
 * A server that is already running somewhere (a local process you started, a Hugging Face
 * Space). Nothing is started or stopped: the Observable emits the endpoint and completes.
 * Throws `OpenEnvError` (`ERR_INVALID_URL`) at call time for anything but an http(s) URL.
 *
 * @example
 * urlEndpoint('http://127.0.0.1:8000').subscribe((e) => console.log(e.url)); // http://127.0.0.1:8000
 */
export function urlEndpoint(url: string): Observable<Endpoint> {
  return of({ url: normalizeServerUrl(url), kind: 'url' as const });
}
