import { concat, concatMap, merge, startWith, Subject, tap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { z } from 'zod';
import { ActionValidationError, InvalidOptionError, ServerError } from '../../src/errors/index.js';
import { createSession } from '../../src/session/create-session.js';
import type { StepResult } from '../../src/session/types.js';
import { fakeTransport } from '../../src/testing/fake-transport.js';
import type { WireStepResult } from '../../src/transport/transport.js';

const Move = z.object({ action: z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) });
type Move = z.infer<typeof Move>;
const spec = {
  name: 'grid_world',
  action: Move,
  observation: z.object({ x: z.number(), y: z.number(), message: z.string() }),
};

const wire = (x: number, done = false): WireStepResult => ({ observation: { x, y: 0, message: 'm' }, reward: -0.1, done });
const result = (x: number, done = false): StepResult<{ x: number; y: number; message: string }> => ({
  ...wire(x, done),
  observation: { x, y: 0, message: 'm' },
  truncated: false,
});

const UP: Move = { action: 'UP' };
const DOWN: Move = { action: 'DOWN' };
const LEFT: Move = { action: 'LEFT' };

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A fake whose answer to each move is the Observable given for it. */
function movesTransport(answers: Partial<Record<Move['action'], Observable<WireStepResult>>>, reset?: Observable<WireStepResult>) {
  return fakeTransport({
    step: (action) => answers[action['action'] as Move['action']]!,
    ...(reset ? { reset: () => reset } : {}),
  });
}

describe('EnvSession.steps', () => {
  it('keeps results in order and sends a step only after the previous one answered (slow then fast)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const action$ = cold('  a-b-c|        ', { a: UP, b: DOWN, c: LEFT });
      const up = cold('       ----(r|)      ', { r: wire(1) });
      const down = cold('         -(r|)     ', { r: wire(2) });
      const left = cold('          --(r|)   ', { r: wire(3) });
      const expected = '      ----AB-(C|)   ';
      const upSubs = '        ^---!         ';
      const downSubs = '      ----^!        ';
      const leftSubs = '      -----^-!      ';

      const transport = movesTransport({ UP: up, DOWN: down, LEFT: left });
      const session = createSession(transport, spec);
      expectObservable(session.steps(action$)).toBe(expected, { A: result(1), B: result(2), C: result(3) });
      expectSubscriptions(up.subscriptions).toBe(upSubs);
      expectSubscriptions(down.subscriptions).toBe(downSubs);
      expectSubscriptions(left.subscriptions).toBe(leftSubs);
      flush();
      expect(transport.maxInFlight).toBe(1);
      expect(transport.requests.map((r) => [r.at, r.body])).toEqual([
        [0, UP],
        [4, DOWN],
        [5, LEFT],
      ]);
    });
  });

  it('passes fast replies straight through and completes with action$', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const action$ = cold('a-b|', { a: UP, b: DOWN });
      const expected = '    A-B|';
      const session = createSession(movesTransport({ UP: cold('(r|)', { r: wire(1) }), DOWN: cold('(r|)', { r: wire(2) }) }), spec);
      expectObservable(session.steps(action$)).toBe(expected, { A: result(1), B: result(2) });
    });
  });

  it('completes only after the last step answered, not when action$ completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const action$ = cold('a|         ', { a: UP });
      const up = cold('     -----(r|)  ', { r: wire(4, true) });
      const expected = '    -----(A|)  ';
      expectObservable(createSession(movesTransport({ UP: up }), spec).steps(action$)).toBe(expected, { A: result(4, true) });
    });
  });

  it('abandons the in-flight step and sends nothing more on early unsubscribe', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const action$ = cold('  a--b--c|  ', { a: UP, b: DOWN, c: LEFT });
      const up = cold('       --(r|)    ', { r: wire(1) });
      const down = cold('        ---(r|)', { r: wire(2) });
      const left = cold('       (r|)      ', { r: wire(3) });
      const unsub = '         ^----!    ';
      const expected = '      --A---    ';
      const actionSubs = '    ^----!    ';
      const upSubs = '        ^-!       ';
      const downSubs = '      ---^-!    ';

      const transport = movesTransport({ UP: up, DOWN: down, LEFT: left });
      expectObservable(createSession(transport, spec).steps(action$), unsub).toBe(expected, { A: result(1) });
      expectSubscriptions(action$.subscriptions).toBe(actionSubs);
      expectSubscriptions(up.subscriptions).toBe(upSubs);
      expectSubscriptions(down.subscriptions).toBe(downSubs);
      expectSubscriptions(left.subscriptions).toBe([]);
    });
  });

  it('stops at a step error, which carries env, url, transport, stepIndex and episodeId', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const failure = new ServerError('EXECUTION_ERROR', 'env raised', {}, { request: 'step' });
      const reset = cold('               (r|)        ', { r: wire(0) });
      const action$ = cold('             a-b-c|      ', { a: UP, b: DOWN, c: LEFT });
      const up = cold('                  -(r|)       ', { r: wire(1) });
      const down = cold<WireStepResult>('  --#       ', undefined, failure);
      const left = cold('                (r|)        ', { r: wire(3) }); // never sent
      const expected = '                 ZA--#       ';
      const actionSubs = '               ^---!       ';
      const downSubs = '                 --^-!       ';

      const transport = movesTransport({ UP: up, DOWN: down, LEFT: left }, reset);
      const session = createSession(transport, spec);
      let error: unknown;
      const run$ = concat(session.reset({ episodeId: 'ep-7' }), session.steps(action$)).pipe(tap({ error: (e: unknown) => (error = e) }));
      expectObservable(run$).toBe(expected, { Z: result(0), A: result(1) }, expect.any(ServerError));
      expectSubscriptions(action$.subscriptions).toBe(actionSubs);
      expectSubscriptions(down.subscriptions).toBe(downSubs);
      expectSubscriptions(left.subscriptions).toBe([]);
      flush();
      {
        expect(error).toBeInstanceOf(ServerError);
        expect((error as ServerError).context).toEqual({
          request: 'step',
          env: 'grid_world',
          url: 'http://127.0.0.1:8000',
          transport: 'ws',
          stepIndex: 2,
          episodeId: 'ep-7',
        });
        expect((error as ServerError).message).toContain('env grid_world');
        expect((error as ServerError).message).toContain('step 2');
        expect(failure.context).toEqual({ request: 'step' });
      }
    });
  });

  it('rejects an invalid action before sending it: nothing reaches the transport', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const action$ = cold('a-b|', { a: UP, b: { action: 'JUMP' } as unknown as Move });
      const expected = '    A-#';
      const transport = movesTransport({ UP: cold('(r|)', { r: wire(1) }) });
      let error: unknown;
      const steps$ = createSession(transport, spec).steps(action$).pipe(tap({ error: (e: unknown) => (error = e) }));
      expectObservable(steps$).toBe(expected, { A: result(1) }, expect.any(ActionValidationError));
      flush();
      expect(error).toBeInstanceOf(ActionValidationError);
      expect((error as ActionValidationError).fields).toEqual(['action']);
      expect((error as ActionValidationError).message).toMatch(/^Invalid action: action: /);
      expect((error as ActionValidationError).context).toMatchObject({ env: 'grid_world', stepIndex: 2, request: 'step' });
      expect(transport.requests.map((r) => r.body)).toEqual([UP]);
    });
  });

  it('completes at once on an empty action$ and sends nothing', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const transport = movesTransport({});
      expectObservable(createSession(transport, spec).steps(cold<Move>('|'))).toBe('|');
      flush();
      expect(transport.requests).toEqual([]);
    });
  });

  it('stays open and silent on a never action$, and unsubscribes from it', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const action$ = cold<Move>('-      ');
      const unsub = '             ^-----!';
      const transport = movesTransport({});
      expectObservable(createSession(transport, spec).steps(action$), unsub).toBe('-------');
      expectSubscriptions(action$.subscriptions).toBe('^-----!');
      flush();
      expect(transport.requests).toEqual([]);
    });
  });
});

describe('EnvSession.steps ends like an episode', () => {
  it('completes right after the result with done: true (included) and unsubscribes action$', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const action$ = cold('  a-b-c-a| ', { a: UP, b: DOWN, c: LEFT });
      const up = cold('       -(r|)     ', { r: wire(1) });
      const down = cold('       -(r|)   ', { r: wire(2, true) });
      const left = cold('         (r|)  ', { r: wire(3) });
      const expected = '      -A-(B|)   ';
      const actionSubs = '    ^--!      ';
      const transport = movesTransport({ UP: up, DOWN: down, LEFT: left });
      expectObservable(createSession(transport, spec).steps(action$)).toBe(expected, { A: result(1), B: result(2, true) });
      expectSubscriptions(action$.subscriptions).toBe(actionSubs);
      expectSubscriptions(left.subscriptions).toBe([]);
      flush();
      expect(transport.requests.map((r) => r.body)).toEqual([UP, DOWN]);
    });
  });

  it('drops the actions still buffered when done arrives: they are never sent', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions, flush }) => {
      const action$ = hot('   ^(abc)     ', { a: UP, b: DOWN, c: LEFT });
      const up = cold('        --(r|)    ', { r: wire(1, true) });
      const expected = '      ---(A|)    ';
      const actionSubs = '    ^--!       ';
      const transport = movesTransport({ UP: up, DOWN: cold('(r|)', { r: wire(2) }), LEFT: cold('(r|)', { r: wire(3) }) });
      expectObservable(createSession(transport, spec).steps(action$)).toBe(expected, { A: result(1, true) });
      expectSubscriptions(action$.subscriptions).toBe(actionSubs);
      flush();
      expect(transport.requests.map((r) => r.body)).toEqual([UP]);
    });
  });

  it('maxSteps marks the last result truncated, completes and unsubscribes action$', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const action$ = cold('  a-b-c|   ', { a: UP, b: DOWN, c: LEFT });
      const answers = { UP: cold('(r|)', { r: wire(1) }), DOWN: cold('(r|)', { r: wire(2) }), LEFT: cold('(r|)', { r: wire(3) }) };
      const expected = '      a-(b|)   ';
      const actionSubs = '    ^-!      ';
      expectObservable(createSession(movesTransport(answers), spec).steps(action$, { maxSteps: 2 })).toBe(expected, {
        a: result(1),
        b: { ...result(2), truncated: true },
      });
      expectSubscriptions(action$.subscriptions).toBe(actionSubs);
    });
  });

  it('an env done at the maxSteps-th step wins: done, not truncated', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const action$ = cold('a|', { a: UP });
      expectObservable(createSession(movesTransport({ UP: cold('-(r|)', { r: wire(1, true) }) }), spec).steps(action$, { maxSteps: 1 })).toBe(
        '-(A|)',
        { A: result(1, true) },
      );
    });
  });

  it('maxSteps: 0 completes at once without subscribing action$; a negative one is an InvalidOptionError', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const action$ = cold('a|', { a: UP });
      const session = createSession(movesTransport({}), spec);
      expectObservable(session.steps(action$, { maxSteps: 0 })).toBe('|');
      expectObservable(session.steps(action$, { maxSteps: -1 })).toBe('#', undefined, expect.any(InvalidOptionError));
      expectSubscriptions(action$.subscriptions).toBe([]);
    });
  });

  it('an agent loop driven by a Subject of actions: each result decides the next action; done ends it and releases action$', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions, flush }) => {
      // The env: the reset puts x at 0, each step answers 2 frames later; x = 3 is done.
      let x = 0;
      const transport = fakeTransport({
        reset: () => cold('-(r|)', { r: wire(0) }),
        step: () => {
          x += 1;
          return cold('--(r|)', { r: wire(x, x === 3) });
        },
      });
      const session = createSession(transport, spec);
      const decide = (observation: { x: number }): Move => (observation.x % 2 === 0 ? UP : DOWN);

      // The pattern of the README: the reset's observation gives the first action, every
      // result not ending the episode pushes the next one into the Subject.
      const action$ = new Subject<Move>();
      const watched = hot<Move>('-'); // never emits: its subscription log is action$'s
      const loop$ = session.reset().pipe(
        concatMap((first) => session.steps(merge(action$, watched).pipe(startWith(decide(first.observation))), { maxSteps: 10 })),
        tap((r) => {
          if (!r.done && !r.truncated) action$.next(decide(r.observation));
        }),
      );
      expectObservable(loop$).toBe('---a-b-(c|)', { a: result(1), b: result(2), c: result(3, true) });
      expectSubscriptions(watched.subscriptions).toBe('-^-----!');
      flush();
      expect(transport.requests.map((r) => [r.type, r.at, r.body])).toEqual([
        ['reset', 0, {}],
        ['step', 1, UP],
        ['step', 3, DOWN],
        ['step', 5, UP],
      ]); // each step sent in the frame the previous result arrived: never two on the wire
      expect(action$.observed).toBe(false);
    });
  });
});
