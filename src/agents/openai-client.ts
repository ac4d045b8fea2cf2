import { OptionalDependencyError } from '../errors/agent-errors.js';

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
