import type { Unsubscribable } from 'rxjs';
import { Call, type Reply } from '../internal/call.js';

/** Starts one request, answering `reply`; returns what abandons it. */
export type GatedStart<T> = (reply: Reply<T>) => Unsubscribable | undefined;

/**
 * Runs `start` once every earlier request of the gate has been answered or abandoned; answers go
 * to `reply`. Returns what abandons the request (a waiting one just leaves the queue).
 */
export type RequestGate = <T>(reply: Reply<T>, start: GatedStart<T>) => Unsubscribable;

/**
 * A one-at-a-time gate in the request contract (`src/internal/call.ts`): requests start in the
 * order they were made, each after the previous one was answered, failed or abandoned. The HTTP
 * transport's reset/step/state share one, so a session never has two of them at the server.
 *
 * The gate is released before the answer is handed on: a caller that sends its next request from
 * the answer (a sequential episode) starts it at once instead of queueing behind itself.
 *
 * @example
 * const gate = createRequestGate();
 * gate(reply, (r) => client.send(stepCall, r)); // sent now
 * gate(other, (r) => client.send(stateCall, r)); // sent once the step is answered
 */
export function createRequestGate(): RequestGate {
  let running: GatedCall<never> | undefined;
  const waiting: Array<GatedCall<never>> = [];
  const release = (call: GatedCall<never>): void => {
    if (running !== call) {
      // A waiting request was abandoned: it never ran.
      const index = waiting.indexOf(call);
      if (index >= 0) waiting.splice(index, 1);
      return;
    }
    running = undefined;
    // A request abandoned while waiting left the queue already; the next one starts now.
    const next = waiting.shift();
    if (next !== undefined) run(next);
  };
  const run = (call: GatedCall<never>): void => {
    running = call;
    call.begin();
  };
  return <T>(reply: Reply<T>, start: GatedStart<T>): Unsubscribable => {
    const call = new GatedCall<T>(reply, start, release as (call: GatedCall<T>) => void);
    if (running === undefined) run(call as GatedCall<never>);
    else waiting.push(call as GatedCall<never>);
    return call;
  };
}

/** One request through the gate: releases it once, when answered, failed or abandoned. */
class GatedCall<T> extends Call<T> {
  constructor(
    private readonly reply: Reply<T>,
    private readonly start: GatedStart<T>,
    private readonly release: (call: GatedCall<T>) => void,
  ) {
    super();
  }

  begin(): void {
    let handle: Unsubscribable | undefined;
    try {
      handle = this.start(this);
    } catch (error) {
      this.error(error);
      return;
    }
    this.sent(handle);
  }

  override unsubscribe(): void {
    if (this.settled) return;
    super.unsubscribe();
    this.release(this);
  }

  protected answered(value: T): void {
    this.release(this);
    this.reply.value(value);
  }

  protected failed(error: unknown): void {
    this.release(this);
    this.reply.error(error);
  }
}
