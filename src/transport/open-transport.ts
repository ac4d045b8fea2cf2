import { catchError, defer, finalize, map, of, switchMap, throwError, type Observable } from 'rxjs';
import { isRouteMissing } from '../internal/route-missing.js';
import { serverBaseUrl } from '../internal/server-url.js';
import { createHttpClient } from './http-client.js';
import { httpInfo } from './http-info.js';
import { openHttpTransport } from './http-transport.js';
import { claimStatefulServer } from './stateful-server-claims.js';
import { registerTransportRequest, transportRequestOf } from './transport-request.js';
import type { Transport, TransportKind, TransportOptions } from './transport.js';
import { resolveTransportOptions } from './transport-options.js';
import { openWsTransport } from './ws-transport.js';

/**
 * Which transport a server speaks: `GET /schema` 200 → `ws` (generation B+), FastAPI's JSON
 * 404/405 → `http` (generation A). Any other answer is an `HttpStatusError` (a 401 must not
 * silently downgrade to stateless HTTP; an HTML 404 is not an OpenEnv server) or a
 * `ProtocolError` (a 200 that is not the schema JSON); a probe that cannot connect is a `ConnectionError`.
 *
 * @example
 * probeTransportKind('http://127.0.0.1:8000').subscribe((kind) => console.log(kind)); // 'ws'
 */
export function probeTransportKind(url: string, options?: TransportOptions): Observable<TransportKind> {
  return defer(() => {
    const client = createHttpClient(url, resolveTransportOptions(options), 'http');
    return httpInfo(client)
      .schema()
      .pipe(
        map((): TransportKind => 'ws'),
        catchError((error: unknown) =>
          isRouteMissing(error) ? of<TransportKind>('http') : throwError(() => error),
        ),
        // The probe's agent is released whatever happens (success, error, unsubscribe).
        finalize(() => client.close()),
      );
  });
}

/**
 * Opens a transport to an env server. `transport: 'auto'` (default) probes `GET /schema` first;
 * the emitted transport's `kind` says which one was picked (an `http` one picked by the probe is
 * known `stateful`: generation A). Unsubscribing closes it.
 *
 * A generation-A server has one env behind its HTTP routes: while a transport the probe opened to
 * it is open, another one to the same base URL errors with `StatefulServerBusyError` (nothing is
 * sent), unless `shareStatefulServer` is set.
 *
 * @example
 * openTransport('http://127.0.0.1:8000')
 *   .pipe(withSession((t) => { console.log(t.kind); return t.reset(); })) // the transport closes after the reset
 *   .subscribe((r) => console.log(r.observation));
 */
export function openTransport(url: string, options: TransportOptions = {}): Observable<Transport> {
  const choice = options.transport ?? 'auto';
  const kind$ = choice === 'auto' ? probeTransportKind(url, options) : of(choice);
  return kind$.pipe(
    switchMap((kind) => {
      if (kind === 'ws') return openWsTransport(url, options);
      const http$ = openHttpTransport(url, options);
      if (choice !== 'auto') return http$;
      // The probe's 404/405 proved generation A, whose HTTP routes share one env: episodes work,
      // and a second session of ours would step the same env.
      return defer(() => {
        const release = options.shareStatefulServer ? undefined : claimStatefulServer(serverBaseUrl(url), { transport: 'http' });
        return http$.pipe(
          map((transport): Transport => {
            const known: Transport = { ...transport, stateful: true };
            // The copy answers resets and steps as the original does: through its request, not its Observables.
            registerTransportRequest(known, transportRequestOf(transport));
            return known;
          }),
          finalize(() => release?.()),
        );
      });
    }),
  );
}
