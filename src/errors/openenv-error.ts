import type { ErrorCode } from './error-codes.js';

/** Where an error happened. Every field is optional; layers add what they know as it bubbles up. */
export interface ErrorContext {
  /** Base URL of the env server (never contains credentials or a query: tokens travel in headers). */
  url?: string;
  transport?: 'ws' | 'http';
  /** Env name from `defineEnv`. */
  env?: string;
  /** The request that failed. */
  request?: 'connect' | 'reset' | 'step' | 'state' | 'health' | 'schema' | 'metadata' | 'policy' | 'start' | 'mcp' | 'tasks';
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
 * Base of every error openenv-rx emits; each failure kind is a subclass in `src/errors/` (the
 * constructor is protected: there is no anonymous `OpenEnvError`). `code` is stable across
 * versions: switch on it, not on the message. `context` says where it happened.
 *
 * @example <caption>doctest: with session (an open grid_world session)</caption>
 * session.step({ action: 'UP' }).subscribe({ error: (e) => e instanceof OpenEnvError && console.log(e.code, e.context) });
 */
export class OpenEnvError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  private readonly baseMessage: string;

  protected constructor(message: string, code: ErrorCode, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.baseMessage = message;
    this.context = { ...context };
    this.message = composeMessage(message, this.context);
  }

  /**
   * Context known by an outer layer, merged under what is already set (nothing is overwritten).
   * Never mutates `this`: one error may reach several subscribers (a dead socket fails the
   * request in flight and `failure$` with the same object), and each adds its own context.
   * Returns `this` when nothing new is added, otherwise a copy of the same class with every field
   * kept (`cause`, `phase`, `status`, ...) and its message and stack rewritten. Adding the same
   * primitive context to the same error again returns the same copy, so layers that each add
   * what they know still hand one object to all their subscribers.
   *
   * @example
   * const inner = new SessionStateError('closed');
   * const outer = inner.addContext({ env: 'echo' }); // outer.context.env === 'echo'; inner.context.env === undefined
   */
  addContext(extra: ErrorContext): this {
    let added: ErrorContext | undefined;
    for (const [key, value] of Object.entries(extra)) {
      if (value !== undefined && this.context[key] === undefined) (added ??= {})[key] = value;
    }
    if (added === undefined) return this;
    const key = memoKey(added);
    const known = key === undefined ? undefined : copies.get(this)?.get(key);
    if (known) return known as this;
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.defineProperties(copy, Object.getOwnPropertyDescriptors(this));
    const context: ErrorContext = { ...this.context, ...added };
    const message = composeMessage(this.baseMessage, context);
    const stack = typeof this.stack === 'string' ? this.stack.replace(this.message, message) : this.stack;
    Object.defineProperty(copy, 'context', { value: context, enumerable: true, writable: true, configurable: true });
    Object.defineProperty(copy, 'message', { value: message, enumerable: false, writable: true, configurable: true });
    Object.defineProperty(copy, 'stack', { value: stack, enumerable: false, writable: true, configurable: true });
    if (key !== undefined) {
      let byKey = copies.get(this);
      if (!byKey) copies.set(this, (byKey = new Map()));
      byKey.set(key, copy);
    }
    return copy;
  }
}

/** The copies `addContext` made of an error, by what was added (see `memoKey`). */
const copies = new WeakMap<OpenEnvError, Map<string, OpenEnvError>>();

/** A key for context additions made only of primitives (objects are not compared: no memo). */
function memoKey(added: ErrorContext): string | undefined {
  let key = '';
  for (const [name, value] of Object.entries(added)) {
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) return undefined;
    key += `${name}\u0000${typeof value}\u0000${String(value)}\u0001`;
  }
  return key;
}

function composeMessage(base: string, c: ErrorContext): string {
  const parts: string[] = [];
  if (c.env) parts.push(`env ${c.env}`);
  if (c.url) parts.push(c.url);
  if (c.transport) parts.push(`over ${c.transport}`);
  if (c.request) parts.push(`during ${c.request}`);
  if (c.stepIndex !== undefined) parts.push(`step ${c.stepIndex}`);
  if (c.episodeId) parts.push(`episode ${c.episodeId}`);
  if (c.containerId) parts.push(`container ${c.containerId.slice(0, 12)}`);
  return parts.length ? `${base} [${parts.join(', ')}]` : base;
}
