import type { Observable } from 'rxjs';

/**
 * Where a running env server can be reached. A runtime is an `Observable<Endpoint>`: subscribing
 * starts the server and emits once it is healthy; unsubscribing stops (and removes) it.
 */
export interface Endpoint {
  /** Base HTTP URL, e.g. `http://127.0.0.1:49153`. */
  url: string;
  kind: 'url' | 'docker' | 'process' | 'in-process' | 'swarm' | 'kubernetes';
  /** Container id, service id, pid or server label, for error context and logs. */
  id?: string;
  /**
   * Errors (with `ServerExitedError`) if the server dies while in use. Never emits, never completes.
   * Absent for plain URLs.
   */
  failure$?: Observable<never>;
}
