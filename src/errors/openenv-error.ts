/** Where an error happened. Every field is optional; layers add what they know as it bubbles up. */
export interface ErrorContext {
  /** Base URL of the env server (never contains credentials: tokens travel in headers). */
  url?: string;
  transport?: 'ws' | 'http';
  /** Env name from `defineEnv`. */
  env?: string;
  /** The request that failed. */
  request?: 'connect' | 'reset' | 'step' | 'state' | 'health' | 'schema' | 'metadata' | 'policy' | 'start' | 'mcp';
  /** 0 is the reset; 1 is the first step of the episode. */
  stepIndex?: number;
  episodeId?: string | null;
  episodeIndex?: number;
  containerId?: string;
  image?: string;
  pid?: number;
  [key: string]: unknown;
}

/**
 * Base of every error openenv-rx emits. `code` is stable across versions: switch on it, not on
 * the message. `context` says where it happened.
 *
 * @example
 * session.step(action).subscribe({ error: (e) => e instanceof OpenEnvError && console.log(e.code, e.context) });
 */
export class OpenEnvError extends Error {
  readonly code: string;
  readonly context: ErrorContext;
  private readonly baseMessage: string;

  constructor(message: string, code: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.baseMessage = message;
    this.context = { ...context };
    this.message = this.composeMessage();
  }

  /** Adds context known by an outer layer (does not overwrite what is set). Returns `this`. */
  addContext(extra: ErrorContext): this {
    for (const [key, value] of Object.entries(extra)) {
      if (value !== undefined && this.context[key] === undefined) this.context[key] = value;
    }
    this.message = this.composeMessage();
    return this;
  }

  private composeMessage(): string {
    const parts: string[] = [];
    const c = this.context;
    if (c.env) parts.push(`env ${c.env}`);
    if (c.url) parts.push(c.url);
    if (c.transport) parts.push(`over ${c.transport}`);
    if (c.request) parts.push(`during ${c.request}`);
    if (c.stepIndex !== undefined) parts.push(`step ${c.stepIndex}`);
    if (c.episodeId) parts.push(`episode ${c.episodeId}`);
    if (c.containerId) parts.push(`container ${c.containerId.slice(0, 12)}`);
    return parts.length ? `${this.baseMessage} [${parts.join(', ')}]` : this.baseMessage;
  }
}
