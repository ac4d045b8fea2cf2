import { serverBaseUrl } from '../internal/server-url.js';

/**
 * What the output calls a `--url` target: the base URL the sessions use, after the env name when
 * `--env` gave one (`coin (http://127.0.0.1:8000)`). Throws `InvalidUrlError` for a URL that
 * cannot be used, before anything runs.
 */
export function urlTargetLabel(url: string, env: string | undefined): string {
  const base = serverBaseUrl(url);
  return env ? `${env} (${base})` : base;
}
