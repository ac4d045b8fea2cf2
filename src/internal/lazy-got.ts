import type { Got } from 'got';
import { from, switchMap, type Observable } from 'rxjs';

// got is the heaviest module the main entry would load (about 100 ms of a fresh import, more than
// rxjs), and a session over `/ws` never sends a request with it. It is imported on first use.
let loaded: Got | undefined;
let loading: Promise<Got> | undefined;

/**
 * got, imported on the first call (a failed import is tried again on the next call).
 *
 * @example
 * const got = await loadGot();
 * const { statusCode } = await got('http://127.0.0.1:8000/health', { throwHttpErrors: false });
 */
export function loadGot(): Promise<Got> {
  loading ??= import('got').then(
    (module) => (loaded = module.default),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/**
 * `use(got)`: called at once when got is loaded (every request after the first), else once the
 * import resolved; unsubscribing before that calls nothing.
 *
 * @example
 * withGot((got) => from(got('http://127.0.0.1:8000/health').text())).subscribe(console.log);
 */
export function withGot<T>(use: (got: Got) => Observable<T>): Observable<T> {
  return loaded ? use(loaded) : from(loadGot()).pipe(switchMap(use));
}
