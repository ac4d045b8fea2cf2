import { InvalidOptionError } from '../errors/usage-errors.js';

/**
 * The base URL of an OpenAI-compatible server, as OpenEnv's `--llm-endpoint` takes it: `/v1` is
 * appended when the URL has no path (`http://127.0.0.1:8000` → `http://127.0.0.1:8000/v1`), a URL
 * with a path is used as it is; a trailing slash is dropped. Credentials, query strings and
 * fragments are refused (the URL is printed and written into metadata; the key goes in a header).
 *
 * @example
 * openaiBaseUrl('http://127.0.0.1:8000'); // 'http://127.0.0.1:8000/v1'
 */
export function openaiBaseUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new InvalidOptionError('llmEndpoint', endpoint, 'an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidOptionError('llmEndpoint', endpoint, 'an http:// or https:// URL');
  if (url.username || url.password) throw new InvalidOptionError('llmEndpoint', `${url.protocol}//***@${url.host}${url.pathname}`, 'a URL without credentials (the key comes from OPENAI_API_KEY)');
  if (url.search || url.hash) throw new InvalidOptionError('llmEndpoint', endpoint, 'a URL without a query string or fragment');
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path === '' ? '/v1' : path}`;
}
