import { OptionalDependencyError } from '../errors/agent-errors.js';
import { InvalidOptionError } from '../errors/usage-errors.js';

/** What chatPolicy uses of the `openai` package's client: Chat Completions, plain and streamed. */
export type OpenAIClient = import('openai').OpenAI;

let loading: Promise<typeof import('openai')> | undefined;

/**
 * The `openai` package, imported on first use (an optional peer dependency: only `chatPolicy`
 * needs it); `OptionalDependencyError` when it is not installed. A failed import is tried again.
 */
export function loadOpenAI(importer?: () => Promise<typeof import('openai')>): Promise<typeof import('openai')> {
  const missing = (error: unknown) => {
    throw new OptionalDependencyError('openai', 'chatPolicy (an LLM agent over an OpenAI-compatible endpoint)', { cause: error });
  };
  // An injected importer (tests) is neither cached nor served from the cache.
  if (importer) return importer().catch(missing);
  loading ??= import('openai').catch((error: unknown) => {
    loading = undefined;
    return missing(error);
  });
  return loading;
}

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
