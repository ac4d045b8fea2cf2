import type { Observable } from 'rxjs';
import { HealthResponse, MetadataResponse, SchemaResponse } from '../protocol/http-messages.js';
import type { HttpClient } from './http-client.js';

/** The read-only info routes; both transports send them over HTTP (the `/ws` protocol has none). */
export interface HttpInfo {
  health(): Observable<HealthResponse>;
  /** Generation B+; generation A answers 404 (`HttpStatusError`). */
  schema(): Observable<SchemaResponse>;
  /** Generation B+; generation A answers 404 (`HttpStatusError`). */
  metadata(): Observable<MetadataResponse>;
}

/**
 * `GET /health`, `/schema`, `/metadata` on a shared got client, bodies checked with the protocol schemas.
 *
 * @example
 * const info = httpInfo(createHttpClient(url, resolveTransportOptions(), 'ws'));
 * info.health().subscribe(({ status }) => console.log(status)); // 'healthy'
 */
export function httpInfo(client: HttpClient): HttpInfo {
  return {
    health: () => client.request({ request: 'health', method: 'GET', path: 'health', schema: HealthResponse }),
    schema: () => client.request({ request: 'schema', method: 'GET', path: 'schema', schema: SchemaResponse }),
    metadata: () => client.request({ request: 'metadata', method: 'GET', path: 'metadata', schema: MetadataResponse }),
  };
}
