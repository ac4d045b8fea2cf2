import { InvalidUrlError } from '../errors/usage-errors.js';

/**
 * Last path segments that name a route of an OpenEnv server (FastAPI's docs and the web UI
 * included), never a part of its base path: a pasted `.../ws` or `.../health` means the server
 * above it.
 */
const ROUTE_SEGMENTS: ReadonlySet<string> = new Set(['ws', 'health', 'reset', 'step', 'state', 'schema', 'metadata', 'mcp', 'docs', 'redoc', 'openapi.json', 'web']);

/** Accepted schemes and the HTTP scheme each stands for (the `/ws` socket is derived from the base). */
const SCHEMES: Readonly<Record<string, 'http:' | 'https:'>> = { 'http:': 'http:', 'https:': 'https:', 'ws:': 'http:', 'wss:': 'https:' };

/** Hosts of Hugging Face's web pages; a Space's app runs on `<owner>-<name>.hf.space`. */
const HF_PAGE_HOSTS: ReadonlySet<string> = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co']);

/** Longest URL echoed in a message. */
const SHOWN_LIMIT = 200;

/**
 * The one parser of server URLs in the package. Returns the base URL every other URL is built
 * from: `http(s)://host[:port][/prefix]`, without trailing slash, fragment, or a route the user
 * pasted along. Throws `InvalidUrlError` (`ERR_INVALID_URL`) for what cannot be normalised
 * safely; its message never shows credentials or a query.
 *
 * - `ws://` and `wss://` stand for `http://` and `https://`.
 * - A last segment naming a server route (`/ws`, `/health`, `/reset`, `/step`, `/state`,
 *   `/schema`, `/metadata`, `/mcp`, `/docs`, `/redoc`, `/openapi.json`, `/web`) is dropped, once,
 *   and so are trailing slashes. A fragment is dropped (no client ever sends it).
 * - Refused: credentials (`user:pass@`; dropping them would turn into a puzzling 401, keeping
 *   them would print them in every error: pass `headers`), a query (it may be the token the
 *   server needs, and paths cannot be appended after it), other schemes, a host without scheme
 *   (`localhost:8000`), and a Hugging Face Space page (`huggingface.co/spaces/o/n` is the page,
 *   not the server: the hint names `https://o-n.hf.space`).
 *
 * @example
 * serverBaseUrl('http://127.0.0.1:8000/ws/'); // 'http://127.0.0.1:8000'
 * serverBaseUrl('wss://owner-env.hf.space/');  // 'https://owner-env.hf.space'
 * serverBaseUrl('http://me:pw@127.0.0.1:8000'); // throws InvalidUrlError: Invalid server URL "http://***@127.0.0.1:8000/": ...
 */
export function serverBaseUrl(input: string): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new InvalidUrlError(JSON.stringify(String(input)), 'expected an absolute http(s) URL such as http://127.0.0.1:8000');
  }
  const shown = redactUrl(input);
  let parsed: URL | undefined;
  try {
    parsed = new URL(input);
  } catch {
    parsed = undefined;
  }
  const scheme = parsed ? SCHEMES[parsed.protocol] : undefined;
  if (!parsed || !scheme) {
    if (/^[^\s/:?#@]+:\d+(?:[/?#]|$)/.test(input.trim())) {
      throw new InvalidUrlError(shown, `the scheme is missing: use http://${redactUrl(input.trim()).slice(1, -1)}`);
    }
    if (!parsed) throw new InvalidUrlError(shown, 'expected an absolute http(s) URL such as http://127.0.0.1:8000');
    throw new InvalidUrlError(shown, `unsupported scheme ${parsed.protocol} use http:// or https:// (the /ws socket is derived from it)`);
  }
  if (parsed.username || parsed.password) {
    throw new InvalidUrlError(shown, 'credentials do not belong in the URL (every error message would show them): pass { headers: { authorization: ... } }');
  }
  if (parsed.search) {
    throw new InvalidUrlError(shown, 'a query does not belong in a server URL (tokens there would be printed in errors): pass { headers: { authorization: ... } }');
  }
  let path = parsed.pathname.replace(/\/+$/, '');
  if (HF_PAGE_HOSTS.has(parsed.hostname)) {
    const [, kind, owner, name] = path.split('/');
    if (kind === 'spaces' && owner && name) {
      const app = `${owner}-${name}`.toLowerCase().replace(/[_.]/g, '-');
      throw new InvalidUrlError(shown, `this is the Space's web page, not its server: use https://${app}.hf.space`);
    }
  }
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (ROUTE_SEGMENTS.has(last)) path = path.slice(0, path.lastIndexOf('/')).replace(/\/+$/, '');
  return `${scheme}//${parsed.host}${path}`;
}

/** The `/ws` endpoint of a base URL from `serverBaseUrl`: `http`→`ws`, `https`→`wss`, `/ws` appended. */
export function wsUrlOf(base: string): string {
  return `${base.startsWith('https:') ? 'wss:' : 'ws:'}${base.slice(base.indexOf('//'))}/ws`;
}

/**
 * A URL as it may appear in a message, quoted: credentials become `***@`, a query `?***`, a
 * fragment is dropped, and the whole is capped; also for strings that do not parse.
 *
 * @example
 * redactUrl('https://u:p@host/x?sig=1#f'); // '"https://***@host/x?***"'
 */
export function redactUrl(input: string): string {
  let text: string;
  let url: URL | undefined;
  try {
    url = new URL(input);
  } catch {
    url = undefined;
  }
  if (url && SCHEMES[url.protocol]) {
    const credentials = url.username || url.password ? '***@' : '';
    text = `${url.protocol}//${credentials}${url.host}${url.pathname}${url.search ? '?***' : ''}`;
  } else {
    // Not parsed, or a scheme whose parts the URL parser does not split (`user:pw@host` is scheme `user:`).
    const query = input.search(/[?#]/);
    text = query >= 0 ? `${input.slice(0, query)}${input[query] === '?' ? '?***' : ''}` : input;
    const at = text.lastIndexOf('@');
    if (at >= 0) {
      const authority = text.indexOf('//');
      text = `${authority >= 0 && authority < at ? text.slice(0, authority + 2) : ''}***${text.slice(at)}`;
    }
  }
  return JSON.stringify(text.length > SHOWN_LIMIT ? `${text.slice(0, SHOWN_LIMIT)}...` : text);
}
