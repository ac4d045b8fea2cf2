import type { Unsubscribable } from 'rxjs';
import type { Reply } from '../../src/internal/call.js';
import { createRequestGate } from '../../src/transport/request-gate.js';

/**
 * A request the test answers by hand: records when it started and when it was abandoned (its
 * handle released before it answered; a `Call` also releases the handle of an answered request).
 */
function manual(name: string, log: string[]) {
  let reply: Reply<string> | undefined;
  let answered = false;
  const start = (r: Reply<string>): Unsubscribable => {
    log.push(`start ${name}`);
    reply = r;
    return { unsubscribe: () => void (answered || log.push(`abandon ${name}`)) };
  };
  const settle = (): Reply<string> => {
    answered = true;
    return reply!;
  };
  return { start, answer: (value: string) => settle().value(value), fail: (error: unknown) => settle().error(error) };
}

/** A `Reply` that logs what it receives. */
const logReply = (name: string, log: string[]): Reply<string> => ({
  value: (v) => void log.push(`${name} value ${v}`),
  error: (e) => void log.push(`${name} error ${String(e)}`),
});

/** A fresh gate, its log, and `send(name)`: a manual request through the gate, its answers logged under the upper-cased name. */
function gated() {
  const log: string[] = [];
  const gate = createRequestGate();
  const send = (name: string) => {
    const request = manual(name, log);
    return { ...request, handle: gate(logReply(name.toUpperCase(), log), request.start) };
  };
  return { log, gate, send };
}

describe('createRequestGate', () => {
  it('starts the second request only after the first was answered, then hands the answers on', () => {
    const { log, send } = gated();
    const a = send('a');
    const b = send('b');
    expect(log).toEqual(['start a']);
    a.answer('1');
    // Released before the answer is handed on: the next request is on its way first.
    expect(log).toEqual(['start a', 'start b', 'A value 1']);
    b.answer('2');
    expect(log).toEqual(['start a', 'start b', 'A value 1', 'B value 2']);
  });

  it('a request sent from an answer starts at once (a sequential caller never queues behind itself)', () => {
    const log: string[] = [];
    const gate = createRequestGate();
    const a = manual('a', log);
    const b = manual('b', log);
    gate({ value: () => void gate(logReply('B', log), b.start), error: () => undefined }, a.start);
    a.answer('1');
    expect(log).toEqual(['start a', 'start b']);
  });

  it('releases after an error', () => {
    const { log, send } = gated();
    const a = send('a');
    send('b');
    a.fail('boom');
    expect(log).toEqual(['start a', 'start b', 'A error boom']);
  });

  it('a start that answers synchronously, or throws, releases the gate at once', () => {
    const log: string[] = [];
    const gate = createRequestGate();
    gate(logReply('A', log), (reply) => {
      reply.error('refused');
      return { unsubscribe: () => void log.push('abandon a') };
    });
    gate(logReply('B', log), () => {
      throw 'thrown';
    });
    const c = manual('c', log);
    gate(logReply('C', log), c.start);
    // The handle of an already answered request is released (not kept, not leaked).
    expect(log).toEqual(['A error refused', 'abandon a', 'B error thrown', 'start c']);
  });

  it('holds the queue behind a request that is never answered until it is abandoned', () => {
    const { log, send } = gated();
    const never = send('never');
    send('b');
    expect(log).toEqual(['start never']);
    never.handle.unsubscribe();
    never.handle.unsubscribe(); // idempotent
    expect(log).toEqual(['start never', 'abandon never', 'start b']);
    never.answer('late'); // dropped: NEVER never logs
    expect(log).toEqual(['start never', 'abandon never', 'start b']);
  });

  it('an abandoned waiting request leaves the queue and is never started', () => {
    const { log, send } = gated();
    const a = send('a');
    send('dropped').handle.unsubscribe();
    send('c');
    a.answer('1');
    expect(log).toEqual(['start a', 'start c', 'A value 1']);
  });

  it('abandoning an answered request changes nothing (the next one keeps the gate)', () => {
    const { log, send } = gated();
    const a = send('a');
    const b = send('b');
    a.answer('1');
    a.handle.unsubscribe();
    send('c');
    expect(log).toEqual(['start a', 'start b', 'A value 1']); // c waits for b
    b.answer('2');
    expect(log).toEqual(['start a', 'start b', 'A value 1', 'start c', 'B value 2']);
  });
});
