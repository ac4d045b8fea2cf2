import { concat, concatAll, map, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { z } from 'zod';
import {
  ActionValidationError,
  ConnectionClosedError,
  HttpStatusError,
  ResponseValidationError,
  SessionStateError,
} from '../../src/errors/index.js';
import { createSession } from '../../src/session/create-session.js';
import { fakeTransport } from '../../src/testing/fake-transport.js';
import type { WireStepResult } from '../../src/transport/transport.js';

const Echo = {
  name: 'echo',
  action: z.object({ message: z.string().min(1).trim() }),
  observation: z.object({ echoed_message: z.string(), message_length: z.number() }),
  state: z.object({ episode_id: z.string().nullable(), step_count: z.number(), last: z.string() }),
};
const echoed = (m: string): WireStepResult => ({
  observation: { echoed_message: m, message_length: m.length },
  reward: 0.1 * m.length,
  done: false,
});
const stepResult = (m: string) => ({ ...echoed(m), truncated: false });

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Records the error an Observable ends with, so its fields can be checked after `flush()`. */
function captureError() {
  const box: { error?: unknown } = {};
  return { box, tap: tap({ error: (e: unknown) => (box.error = e) }) };
}

describe('createSession', () => {
  it('maps reset options to the wire body {seed, episode_id, ...extra} and sends {} without options', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const transport = fakeTransport({ reset: () => cold('-(r|)', { r: echoed('') }) });
      const session = createSession(transport, Echo);
      const run$ = concat(session.reset({ seed: 7, episodeId: 'ep-1', extra: { difficulty: 'hard' } }), session.reset());
      expectObservable(run$).toBe('-R(R|)', { R: stepResult('') });
      flush();
      expect(transport.requests.map((r) => r.body)).toEqual([{ seed: 7, episode_id: 'ep-1', difficulty: 'hard' }, {}]);
    });
  });

  it('sends the parsed action (schema transforms applied), and passes a step before any reset to the server', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const transport = fakeTransport({ step: () => cold('-(s|)', { s: echoed('hi') }) });
      expectObservable(createSession(transport, Echo).step({ message: '  hi  ' })).toBe('-(S|)', { S: stepResult('hi') });
      flush();
      expect(transport.requests).toEqual([{ type: 'step', body: { message: 'hi' }, options: undefined, at: 0 }]);
    });
  });

  it('reports an invalid action as an Observable error naming the field, without sending it', () => {
    scheduler().run(({ expectObservable, flush }) => {
      const transport = fakeTransport({});
      const session = createSession(transport, Echo);
      const { box, tap: capture } = captureError();
      const step$ = session.step({ message: '' });
      expect(transport.requests).toEqual([]); // cold: nothing happens before subscription
      expectObservable(step$.pipe(capture)).toBe('#', undefined, expect.any(ActionValidationError));
      flush();
      expect((box.error as ActionValidationError).fields).toEqual(['message']);
      expect((box.error as ActionValidationError).action).toEqual({ message: '' });
      expect(transport.requests).toEqual([]);
    });
  });

  it('requires a JSON object as action when the spec has no action schema', () => {
    scheduler().run(({ expectObservable, flush }) => {
      const transport = fakeTransport({});
      const { box, tap: capture } = captureError();
      const untyped = createSession(transport, { name: 'env' });
      expectObservable(untyped.step('UP' as never).pipe(capture)).toBe('#', undefined, expect.any(ActionValidationError));
      flush();
      expect((box.error as ActionValidationError).fields).toEqual(['(root)']);
      expect(transport.requests).toEqual([]);
    });
  });

  it('fails an observation that breaks the observation schema with ResponseValidationError (with context)', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const bad: WireStepResult = { observation: { echoed_message: 5 }, reward: 0, done: false };
      const transport = fakeTransport({ reset: () => cold('(r|)', { r: echoed('') }), step: () => cold('--(s|)', { s: bad }) });
      const session = createSession(transport, Echo);
      const { box, tap: capture } = captureError();
      const run$ = concat(session.reset({ episodeId: 'ep-2' }), session.step({ message: 'x' })).pipe(capture);
      expectObservable(run$).toBe('R-#', { R: stepResult('') }, expect.any(ResponseValidationError));
      flush();
      const error = box.error as ResponseValidationError;
      expect(error.what).toBe('observation');
      expect(error.fields.sort()).toEqual(['echoed_message', 'message_length']);
      expect(error.context).toMatchObject({ env: 'echo', transport: 'ws', request: 'step', stepIndex: 1, episodeId: 'ep-2' });
    });
  });

  it('passes an invalid observation through with validateResponses: false', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const odd: WireStepResult = { observation: { unexpected: true }, reward: null, done: true };
      const transport = fakeTransport({ step: () => cold('(s|)', { s: odd }) });
      const session = createSession(transport, Echo, { validateResponses: false });
      expectObservable(session.step({ message: 'x' })).toBe('(S|)', { S: { ...odd, truncated: false } });
    });
  });

  it('validates state against the state schema, and passes health/schema/metadata through', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const good = { episode_id: null, step_count: 3, last: 'hi' };
      const health = { status: 'healthy' as const };
      const schema = { action: {}, observation: {}, state: {} };
      const metadata = { name: 'echo', description: 'echoes' };
      const states = [cold('(s|)', { s: good }), cold('(s|)', { s: { episode_id: null, step_count: 3 } })];
      const transport = fakeTransport({
        state: () => states.shift()!,
        health: () => cold('(h|)', { h: health }),
        schema: () => cold('(s|)', { s: schema }),
        metadata: () => cold('(m|)', { m: metadata }),
      });
      const session = createSession(transport, Echo);
      const { box, tap: capture } = captureError();
      expectObservable(session.state()).toBe('(s|)', { s: good });
      expectObservable(session.state().pipe(capture)).toBe('#', undefined, expect.any(ResponseValidationError));
      expectObservable(session.health()).toBe('(h|)', { h: health });
      expectObservable(session.schema()).toBe('(s|)', { s: schema });
      expectObservable(session.metadata()).toBe('(m|)', { m: metadata });
      flush();
      expect((box.error as ResponseValidationError).what).toBe('state');
      expect((box.error as ResponseValidationError).fields).toEqual(['last']);
    });
  });

  it('adds session context to transport errors of every request', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const notFound = new HttpStatusError(404, { detail: 'Not Found' }, 'Not Found', { request: 'schema' });
      const transport = fakeTransport({ kind: 'http', url: 'http://127.0.0.1:9', schema: () => cold('-#', undefined, notFound) });
      const withSessionContext = expect.objectContaining({
        status: 404,
        context: { request: 'schema', env: 'echo', url: 'http://127.0.0.1:9', transport: 'http', stepIndex: 0, episodeId: null },
      });
      expectObservable(createSession(transport, Echo).schema()).toBe('-#', undefined, withSessionContext);
      flush();
      expect(notFound.context).toEqual({ request: 'schema' });
    });
  });

  it('after close(): every call errors with SessionStateError, the transport is closed once and gets nothing', () => {
    scheduler().run(({ expectObservable, flush }) => {
      const transport = fakeTransport({});
      const session = createSession(transport, Echo);
      session.close();
      session.close();
      expect(session.closed).toBe(true);
      expect(transport.closeCalls).toBe(1);
      const { box, tap: capture } = captureError();
      let step$ = session.step({ message: 'late' });
      expect(() => (step$ = session.step({ message: 'late' }))).not.toThrow();
      expectObservable(step$.pipe(capture)).toBe('#', undefined, expect.any(SessionStateError));
      expectObservable(session.reset()).toBe('#', undefined, expect.any(SessionStateError));
      expectObservable(session.state()).toBe('#', undefined, expect.any(SessionStateError));
      expectObservable(session.health()).toBe('#', undefined, expect.any(SessionStateError));
      flush();
      expect((box.error as SessionStateError).code).toBe('ERR_SESSION_STATE');
      expect((box.error as SessionStateError).context).toMatchObject({ env: 'echo', request: 'step' });
      expect(transport.requests).toEqual([]);
    });
  });

  /** A fake echo env that is done after two steps, and a policy for it. */
  function twoStepEcho(cold: TestScheduler['createColdObservable']) {
    const replies = [echoed('a'), { ...echoed('b'), done: true }];
    let step = 0;
    const transport = fakeTransport({
      reset: () => cold('-(r|)', { r: echoed('') }),
      step: () => cold('-(s|)', { s: replies[step++ % 2]! }),
    });
    const policy = (observation: { message_length: number }) => ({ message: observation.message_length ? 'b' : 'a' });
    return { transport, policy, session: createSession(transport, Echo) };
  }

  it('episode() runs the agent loop on this session: reset with seed and episode_id, then policy -> step until done', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const { transport, policy, session } = twoStepEcho(cold);
      const episode$ = session.episode(policy, { seed: 3, episodeId: 'ep-1' });
      expectObservable(episode$.pipe(map((s) => `${s.kind}${s.index}:${s.reward}`))).toBe('-ab(c|)', {
        a: 'reset0:0',
        b: 'step1:0.1',
        c: 'step2:0.1',
      });
      flush();
      expect(transport.requests.map((r) => r.body)).toEqual([{ seed: 3, episode_id: 'ep-1' }, { message: 'a' }, { message: 'b' }]);
    });
  });

  it('episodes() runs episodes one after another on this session with seeds seed + i', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const { transport, policy, session } = twoStepEcho(cold);
      const labels$ = session.episodes(policy, { count: 2, seed: 10 }).pipe(
        concatAll(),
        map((s) => `${s.episodeIndex}${s.kind[0]}`),
      );
      expectObservable(labels$).toBe('-abcde(f|)', { a: '0r', b: '0s', c: '0s', d: '1r', e: '1s', f: '1s' });
      flush();
      const resets = transport.requests.filter((r) => r.type === 'reset').map((r) => (r.body as { seed: number }).seed);
      expect(resets).toEqual([10, 11]);
    });
  });

  // A dead connection fails the step on the wire and the session's failure$ with one error; which
  // of the two reports first depends on who subscribed first: either way it is one object.
  it.each([
    ['the step reports first', '--#', '---#'],
    ['failure$ reports first', '---#', '--#'],
  ])('a connection lost with a step on the wire: the step and failure$ carry the very same error (%s)', (_, stepMarbles, failureMarbles) => {
    scheduler().run(({ cold, hot, flush }) => {
      const lost = new ConnectionClosedError('connection closed', 1006, '');
      const transport = fakeTransport({ step: () => cold(stepMarbles, undefined, lost), failure$: hot(failureMarbles, undefined, lost) });
      const session = createSession(transport, Echo);
      const step = captureError();
      const failure = captureError();
      session.step({ message: 'hi' }).pipe(step.tap).subscribe({ error: () => undefined });
      session.failure$.pipe(failure.tap).subscribe({ error: () => undefined });
      flush();
      expect(step.box.error).toBeInstanceOf(ConnectionClosedError);
      expect((step.box.error as ConnectionClosedError).context).toMatchObject({ request: 'step', stepIndex: 1 });
      expect(failure.box.error).toBe(step.box.error);
    });
  });

  it('a connection lost between requests: failure$ carries where the episode stood, no request', () => {
    scheduler().run(({ cold, hot, flush }) => {
      const lost = new ConnectionClosedError('connection closed', 1006, '');
      const transport = fakeTransport({ step: () => cold('-(s|)', { s: echoed('hi') }), failure$: hot('---#', undefined, lost) });
      const session = createSession(transport, Echo);
      const failure = captureError();
      session.step({ message: 'hi' }).subscribe();
      session.failure$.pipe(failure.tap).subscribe({ error: () => undefined });
      flush();
      const { context } = failure.box.error as ConnectionClosedError;
      expect(context).toMatchObject({ stepIndex: 1 });
      expect(context.request).toBeUndefined();
    });
  });
});
