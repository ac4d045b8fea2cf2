import { catchError, defer, EMPTY, mergeMap, throwError, type Observable } from 'rxjs';
import type { ErrorContext } from '../errors/openenv-error.js';
import { StatelessHttpError } from '../errors/protocol-errors.js';
import { isRouteMissing } from '../internal/route-missing.js';
import type { SchemaResponse } from '../protocol/http-messages.js';
import { claimStatefulServer } from '../transport/stateful-server-claims.js';
import type { SessionState } from './session-call.js';

/** What the generation probe of one session needs and keeps. */
export interface EpisodeCheckOptions {
  /** Run episodes even over stateless HTTP. */
  allowStatelessEpisodes?: boolean;
  /** Share a generation-A server with other sessions of this process. */
  shareStatefulServer?: boolean;
}

/**
 * `EnvSession.checkEpisodes` of one session, and the claim it may take: whether consecutive
 * requests reach one env is known from the transport (`ws`, an `auto` probe), or learnt once from
 * `GET /schema` (generation A has none and keeps one env over HTTP; B and later answer 200 and are
 * stateless over HTTP). A generation-A server found this way is claimed as the `auto` probe would.
 *
 * @example
 * const probe = episodeCheck(state, () => session.schema(), {});
 * probe.check().subscribe({ error: (e) => console.log(e.code) }); // 'ERR_STATELESS_HTTP' on a stateless server
 */
export function episodeCheck(
  state: SessionState,
  schema: () => Observable<SchemaResponse>,
  options: EpisodeCheckOptions,
): { check(): Observable<never>; release(): void } {
  const { transport } = state;
  let stateful = options.allowStatelessEpisodes === true || transport.kind === 'ws' ? true : transport.stateful;
  // Held while this session uses a generation-A server it found itself (transport 'http' forced).
  let releaseClaim: (() => void) | undefined;
  const probe$ = defer(() => {
    if (stateful === true) return EMPTY;
    const ctx: ErrorContext = { env: state.env, url: transport.url, transport: transport.kind };
    if (stateful === false) return throwError(() => new StatelessHttpError(ctx));
    return schema().pipe(
      catchError((error: unknown) => {
        if (!isRouteMissing(error)) return throwError(() => error);
        // Generation A (one env behind HTTP) found behind a forced 'http': claimed as the auto probe would.
        if (!options.shareStatefulServer && !state.closed) {
          try {
            releaseClaim = claimStatefulServer(transport.url, ctx);
          } catch (busy) {
            return throwError(() => busy);
          }
        }
        stateful = true;
        return EMPTY;
      }),
      mergeMap(() => {
        stateful = false;
        return throwError(() => new StatelessHttpError(ctx));
      }),
    );
  });
  return {
    // EMPTY itself when known: the episode loop skips a subscription then.
    check: () => (stateful === true ? EMPTY : probe$),
    release: () => releaseClaim?.(),
  };
}
