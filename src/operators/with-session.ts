import { dematerialize, from, materialize, switchMap, type ObservableInput, type OperatorFunction } from 'rxjs';

/**
 * `switchMap` for session Observables, which emit one session and never complete (their
 * subscription owns the connection): runs `project(session)` and completes (or errors) when that
 * work does, which unsubscribes the source and so closes the connection / stops the container.
 * With plain `switchMap` the result would never complete and the session would stay open.
 *
 * @example
 * const stats = await lastValueFrom(
 *   GridWorld.connect(url).pipe(
 *     withSession((env) => env.episodes(policy, { count: 10, seed: 0 }).pipe(concatAll())),
 *     episodeStats(),
 *     toArray(),
 *   ),
 * ); // the connection is closed by now
 */
export function withSession<S, R>(project: (session: S) => ObservableInput<R>): OperatorFunction<S, R> {
  // materialize turns the work's completion into a value, so that dematerialize can complete the
  // whole chain even though the session source itself never completes.
  return (source) =>
    source.pipe(
      switchMap((session) => from(project(session)).pipe(materialize())),
      dematerialize(),
    );
}
