import { NEVER, Observable, of, Subject, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Call, fromRequest, registerRequest, requestOf, type Reply } from '../../src/internal/call.js';

/** A call that records what reached it. */
class Recorded<T> extends Call<T> {
  readonly seen: Array<['value', T] | ['error', unknown]> = [];
  protected answered(value: T): void {
    this.seen.push(['value', value]);
  }
  protected failed(error: unknown): void {
    this.seen.push(['error', error]);
  }
}

/** A request handle that counts how often it was released. */
const handle = () => {
  const released = { count: 0 };
  return { released, unsubscribe: () => void released.count++ };
};

describe('Call: the waiting side of one request', () => {
  it('takes the first answer only; a later value or error is dropped', () => {
    const call = new Recorded<number>();
    const h = handle();
    call.sent(h);
    call.value(1);
    call.value(2);
    call.error(new Error('late'));
    expect(call.seen).toEqual([['value', 1]]);
    expect(call.settled).toBe(true);
    expect(h.released.count).toBe(1); // released on the answer, once
  });

  it('after unsubscribe nothing reaches it, and what it waited on is released once', () => {
    const call = new Recorded<number>();
    const h = handle();
    call.sent(h);
    call.unsubscribe();
    call.unsubscribe();
    call.value(1);
    call.error(new Error('late'));
    expect(call.seen).toEqual([]);
    expect(h.released.count).toBe(1);
  });

  it('an answer given while the request is being started releases the handle that starting returns', () => {
    const call = new Recorded<number>();
    call.value(7); // a synchronous answer, inside the start
    const h = handle();
    call.sent(h);
    expect(call.seen).toEqual([['value', 7]]);
    expect(h.released.count).toBe(1);
  });

  it('listen: the first value answers and the source is unsubscribed before the answer is handed on', () => {
    const source = new Subject<number>();
    const order: string[] = [];
    class Ordered extends Call<number> {
      protected answered(value: number): void {
        order.push(`answered ${value}, observed: ${source.observed}`);
      }
      protected failed(): void {
        order.push('failed');
      }
    }
    new Ordered().listen(source);
    source.next(1);
    source.next(2);
    expect(order).toEqual(['answered 1, observed: false']);
  });

  it('listen: a synchronous source answers at once; an error fails; completing empty fails with ProtocolError', () => {
    const sync = new Recorded<number>().listen(of(4, 5));
    expect(sync.seen).toEqual([['value', 4]]);
    const failed = new Recorded<number>().listen(throwError(() => new Error('boom')));
    expect(failed.seen).toEqual([['error', new Error('boom')]]);
    const empty = new Recorded<number>().listen(new Observable<number>((s) => s.complete()));
    expect(empty.seen).toEqual([['error', expect.objectContaining({ code: 'ERR_PROTOCOL', message: 'The request completed without a result' })]]);
  });
});

describe('fromRequest: the Observable form of a request', () => {
  it('is cold, emits the answer then completes, or errors; unsubscribing abandons the request', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ expectObservable }) => {
      let starts = 0;
      const answered$ = fromRequest<string>((reply) => {
        starts++;
        reply.value('x');
        return undefined;
      });
      expectObservable(answered$).toBe('(x|)');
      expectObservable(fromRequest<string>((reply) => void reply.error('e'))).toBe('#', undefined, 'e');
      expect(starts).toBe(0); // cold: nothing runs before the scheduler subscribes
    });
    const h = handle();
    const pending$ = fromRequest<string>(() => h);
    pending$.subscribe().unsubscribe();
    expect(h.released.count).toBe(1);
  });
});

describe('requestOf: one contract for registered requests and Observable methods', () => {
  it("returns the owner's registered request, and not for a copy of the owner", () => {
    const owner = { step: (): Observable<number> => NEVER };
    const own = (_kind: 'step', _data: number, reply: Reply<number>) => {
      reply.value(1);
      return undefined;
    };
    registerRequest(owner, own);
    expect(requestOf(owner, () => NEVER)).toBe(own);
    expect(requestOf({ ...owner }, () => NEVER)).not.toBe(own);
  });

  it('made of Observable methods: the first value answers; a method that throws fails the request instead of throwing', () => {
    const viaObservable = requestOf<'step', number, number>({}, (_kind, data) => of(data * 2, 0));
    const answered = new Recorded<number>();
    answered.sent(viaObservable('step', 21, answered));
    expect(answered.seen).toEqual([['value', 42]]);
    const throwing = requestOf<'step', number, number>({}, () => {
      throw new Error('bad method');
    });
    const failed = new Recorded<number>();
    expect(() => failed.sent(throwing('step', 1, failed))).not.toThrow();
    expect(failed.seen).toEqual([['error', new Error('bad method')]]);
  });
});
