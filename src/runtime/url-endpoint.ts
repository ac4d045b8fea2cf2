import { of, type Observable } from 'rxjs';
import { OpenEnvError } from '../errors/index.js';
import type { Endpoint } from './endpoint.js';

/** The input, quoted, unless it may hold a secret (userinfo, a signed query): typos stay easy to spot. */
function echoable(url: string): string {
  return /[@?#]/.test(url) ? '(not shown: it may hold credentials)' : JSON.stringify(url);
}

/**
 * Checks that `url` is an absolute http(s) URL without credentials and returns its base form
 * (no trailing slash, no query or fragment). Throws `OpenEnvError` code `ERR_INVALID_URL`.
 */
export function normalizeServerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OpenEnvError(`Invalid server URL ${echoable(url)}: expected e.g. http://127.0.0.1:8000`, 'ERR_INVALID_URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new OpenEnvError(
      `Unsupported server URL scheme ${parsed.protocol}: use http:// or https:// (the /ws socket is derived from it)`,
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
    // The query is not echoed: signed URLs carry secrets there.
    throw new OpenEnvError(`Server URL ${parsed.protocol}//${parsed.host}${parsed.pathname} must not have a query or fragment`, 'ERR_INVALID_URL');
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
