import { catchError, firstValueFrom, of } from 'rxjs';
import { packageVersion } from '../../internal/package-version.js';
import { serverBaseUrl } from '../../internal/server-url.js';
import { createHttpClient } from '../../transport/http-client.js';
import { httpInfo } from '../../transport/http-info.js';
import { resolveTransportOptions } from '../../transport/transport-options.js';
import { envModuleSource } from './env-module-source.js';

/** Options of `generateEnvModule`. */
export interface GenerateEnvModuleOptions {
  headers?: Record<string, string>;
  /** Connect and reply timeout of each request. */
  timeoutMs?: number;
  /** The env's name; default `/metadata`'s `name`, else the action schema's title, else `env`. */
  name?: string;
}

/**
 * Fetches a server's `/schema` (and `/metadata` for the name) and returns the module source of
 * `envModuleSource`. A server without `/schema` (OpenEnv generation A answers 404) fails with its
 * `HttpStatusError` (`ERR_HTTP_STATUS`); a bad URL with `InvalidUrlError`.
 *
 * @example
 * process.stdout.write(await generateEnvModule('http://127.0.0.1:8000'));
 */
export async function generateEnvModule(url: string, options: GenerateEnvModuleOptions = {}): Promise<string> {
  const base = serverBaseUrl(url);
  const timeouts = options.timeoutMs === undefined ? {} : { connectTimeoutMs: options.timeoutMs, replyTimeoutMs: options.timeoutMs };
  const client = createHttpClient(base, resolveTransportOptions({ headers: options.headers ?? {}, ...timeouts }), 'http');
  try {
    const info = httpInfo(client);
    const schema = await firstValueFrom(info.schema());
    const name =
      options.name ??
      // /metadata only names the env: a server that lacks it or answers it oddly still gets its types.
      (await firstValueFrom(info.metadata().pipe(catchError(() => of(undefined)))))?.name ??
      (typeof schema.action['title'] === 'string' ? schema.action['title'].replace(/Action$/, '') : 'env');
    return envModuleSource({ schema, name, url: base, version: packageVersion() });
  } finally {
    client.close();
  }
}
