import { Observable, type Observer, type Unsubscribable } from 'rxjs';
import { ProtocolError } from '../errors/protocol-errors.js';

/**
 * The one request contract of openenv-rx, from the `/ws` socket up to the fleet: a request is
 * started with a `Reply` and answered through it exactly once, `value` or `error`; what starting
 * it returns abandons it (the answer then never comes). Layers that have their own form of a
 * request (the ws transport, sessions, a connection-loss wrapper) register it with
 * `registerRequest`; their Observable methods are `fromRequest` over it.
 */
export interface Reply<T> {
  value(value: T): void;
  error(error: unknown): void;
}

/** Starts one request of `kind` with `data`; the answer goes to `reply`. Returns what abandons it. */
export type Request<K extends string, D, T> = (kind: K, data: D, reply: Reply<T>) => Unsubscribable | undefined;

/**
 * The waiting side of ONE request, written once for every layer (rxjs's operator subscriber plays
 * this part there): the first answer counts, later ones and answers after `unsubscribe` are
 * dropped, and an answer that arrives while the request is still being started (a synchronous
 * fake, a validation error) is kept apart from what starting it returns. Subclasses say what an
 * answer does; the object itself is the observer, so a request costs one allocation, no closures.
 *
 * @example
 * class Logged extends Call<number> {
 *   protected answered(value: number) { console.log(value); }
 *   protected failed(error: unknown) { console.error(error); }
 * }
 * new Logged().listen(of(1, 2)); // logs 1; the source is released right after its first value
 */
export abstract class Call<T> implements Reply<T>, Observer<T>, Unsubscribable {
  /** What abandons the request this call waits on, until it settles. */
  private below: Unsubscribable | undefined;
  private done = false;

  /** Answered, failed or abandoned: nothing more reaches the subclass. */
  get settled(): boolean {
    return this.done;
  }

  /** Waits on the request that `handle` abandons, or releases it at once when it already answered. */
  sent(handle: Unsubscribable | undefined): this {
    if (this.done) handle?.unsubscribe();
    else this.below = handle;
    return this;
  }

  /** The first value of `source$` answers; its error fails; completing empty is `empty()`. */
  listen(source$: Observable<T>): this {
    return this.sent(source$.subscribe(this));
  }

  value(value: T): void {
    if (this.settle()) this.answered(value);
  }

  error(error: unknown): void {
    if (this.settle()) this.failed(error);
  }

  next(value: T): void {
    this.value(value);
  }

  complete(): void {
    if (!this.done) this.empty();
  }

  /** Abandons the request: what it waits on is released, a late answer dropped. */
  unsubscribe(): void {
    this.settle();
  }

  protected abstract answered(value: T): void;
  protected abstract failed(error: unknown): void;

  /** A source completed without a value: an error unless a subclass says otherwise. */
  protected empty(): void {
    this.error(new ProtocolError('The request completed without a result', undefined));
  }

  /** Marks the call settled and releases what it waited on (before the answer is handed on). */
  private settle(): boolean {
    if (this.done) return false;
    this.done = true;
    const below = this.below;
    if (below !== undefined) {
      this.below = undefined;
      below.unsubscribe();
    }
    return true;
  }
}

/** A call that hands its answer to another `Reply` (the outer side of a layer that adds nothing). */
export class RelayCall<T> extends Call<T> {
  constructor(private readonly reply: Reply<T>) {
    super();
  }

  protected answered(value: T): void {
    this.reply.value(value);
  }

  protected failed(error: unknown): void {
    this.reply.error(error);
  }
}

/** The `Reply` of an Observable's subscriber: the value, then complete. */
class SubscriberCall<T> extends Call<T> {
  constructor(private readonly subscriber: Observer<T>) {
    super();
  }

  protected answered(value: T): void {
    this.subscriber.next(value);
    this.subscriber.complete();
  }

  protected failed(error: unknown): void {
    this.subscriber.error(error);
  }
}

/**
 * The Observable form of a request: cold, one value then complete (or an error); unsubscribing
 * abandons the request. Every Observable request method of a layer with a `Request` is this.
 *
 * @example
 * const step$ = fromRequest<WireStepResult>((reply) => connection.request('step', action, reply));
 */
export function fromRequest<T>(start: (reply: Reply<T>) => Unsubscribable | undefined): Observable<T> {
  return new Observable<T>((subscriber) => {
    const call = new SubscriberCall<T>(subscriber);
    return call.sent(start(call));
  });
}

/** Requests registered by their owner object: a copy of it (`{ ...session, step }`) has none. */
const registry = new WeakMap<object, Request<string, never, never>>();

/** Registers `request` as `owner`'s own; `requestOf(owner)` finds it, nothing else does. */
export function registerRequest<K extends string, D, T>(owner: object, request: Request<K, D, T>): void {
  registry.set(owner, request as unknown as Request<string, never, never>);
}

/**
 * `owner`'s request: its registered one, or else one made of its Observable methods (`observable`
 * picks the method for a kind); either way a layer above uses one contract. Looked up once per
 * owner (a session, a transport), never per request.
 */
export function requestOf<K extends string, D, T>(owner: object, observable: (kind: K, data: D) => Observable<T>): Request<K, D, T> {
  const own = registry.get(owner) as Request<K, D, T> | undefined;
  if (own !== undefined) return own;
  return (kind, data, reply) => {
    const call = new RelayCall(reply);
    let source$: Observable<T>;
    try {
      source$ = observable(kind, data);
    } catch (error) {
      // A method that throws instead of returning an Observable fails its request, as a subscriber would see it.
      call.error(error);
      return call;
    }
    return call.listen(source$);
  };
}
