/**
 * The server URL a session Observable connects to, when it is one fixed URL (`Env.connect(url)`):
 * a pool labels that server by its URL in errors and progress before any session opened there.
 * A WeakMap, not a property: the Observable stays a plain rxjs Observable.
 */
const urls = new WeakMap<object, string>();

/** Marks `source` as connecting to `url`; returns it. */
export function withSourceUrl<T extends object>(source: T, url: string): T {
  urls.set(source, url);
  return source;
}

/** The URL `withSourceUrl` marked `source` with, if any. */
export function sourceUrl(source: object): string | undefined {
  return urls.get(source);
}
