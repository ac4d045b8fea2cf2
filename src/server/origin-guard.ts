import type { IncomingHttpHeaders } from 'node:http';

/** Host names a same-origin page may be served under: only loopback, so a DNS-rebound name never counts. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * What the guard decided about a request's `Origin`:
 * - `none`: no `Origin` header (curl, OpenEnv's Python client, our own client): allowed, no CORS headers.
 * - `same`: the page is this server itself, on a loopback name: allowed.
 * - `listed`: an origin of `allowedOrigins`: allowed, and answered with CORS headers so the page can read it.
 * - `refused`: any other origin, `null` included (a sandboxed frame, a `file:` page).
 */
export type OriginVerdict = 'none' | 'same' | 'listed' | 'refused';

/**
 * Builds the check every HTTP request and WebSocket upgrade passes first. A browser always sends
 * `Origin` on a WebSocket upgrade and on every cross-origin or non-GET fetch, so refusing foreign
 * origins (whatever the route, method or content type: a `text/plain` POST is a CORS "simple
 * request" that is sent without a preflight) is what keeps a web page the user happens to visit
 * from driving a local server. Clients that are not browsers send no `Origin` and are unaffected.
 *
 * `allowedOrigins` entries are origins (`https://ui.example.com`, `http://127.0.0.1:5173`); a path
 * or trailing slash is ignored. `*` allows every origin (a public demo behind a token).
 *
 * @example
 * const verdict = originGuard(['http://localhost:5173']);
 * verdict({ origin: 'http://localhost:5173', host: '127.0.0.1:8000' }); // 'listed'
 * verdict({ origin: 'http://evil.example', host: '127.0.0.1:8000' });    // 'refused'
 * verdict({ host: '127.0.0.1:8000' });                                   // 'none'
 */
export function originGuard(allowedOrigins: readonly string[] = []): (headers: IncomingHttpHeaders) => OriginVerdict {
  const any = allowedOrigins.includes('*');
  const listed = new Set(allowedOrigins.filter((o) => o !== '*').map(normalizeOrigin));
  return (headers) => {
    const origin = headers.origin;
    if (origin === undefined) return 'none';
    const normalized = normalizeOrigin(origin);
    if (any || listed.has(normalized)) return 'listed';
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return 'refused';
    }
    // Same origin: scheme http, the very host:port the request was sent to, and a loopback name
    // (a rebinding attack has its own name in both Origin and Host, so equality alone proves nothing).
    if (url.protocol === 'http:' && url.host === headers.host?.toLowerCase() && LOOPBACK_HOSTS.has(url.hostname)) return 'same';
    return 'refused';
  };
}

/** `scheme://host[:port]`, lower-cased, default port dropped; unparsable input is kept as is (it then matches nothing real). */
export function normalizeOrigin(origin: string): string {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? origin : url.origin;
  } catch {
    return origin;
  }
}
