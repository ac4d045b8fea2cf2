import { Observable, switchMap, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { z } from 'zod';
import { ConnectionClosedError, ConnectionError, ServerExitedError, SessionStateError } from '../../src/errors/index.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { defineEnv, type OpenTransport } from '../../src/session/define-env.js';
import type { EnvSession } from '../../src/session/types.js';
import { fakeTransport, type FakeTransport } from '../../src/testing/fake-transport.js';
import type { WireStepResult } from '../../src/transport/transport.js';

const GridWorld = defineEnv({
  name: 'grid_world',
  action: z.object({ action: z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) }),
  observation: z.object({ x: z.number(), y: z.number(), message: z.string() }),
});
type GridSession = EnvSession<{ action: 'UP' | 'DOWN' | 'LEFT' | 'RIGHT' }, { x: number; y: number; message: string }, Record<string, unknown>>;

const at = (x: number): WireStepResult => ({ observation: { x, y: 0, message: 'm' }, reward: -0.1, done: false });

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Matches the one session a definition emits: its identity is checked after flush. */
const anySession = expect.objectContaining({ name: 'grid_world', step: expect.any(Function) });

describe('defineEnv(...).fromTransport', () => {
  it('emits one session when the transport opens and never completes by itself', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = fakeTransport();
      const transport$ = cold('--(t|)', { t: transport });
      const unsub = '          ^-------!';
      expectObservable(GridWorld.fromTransport(transport$), unsub).toBe('--s-----', { s: anySession });
      expectSubscriptions(transport$.subscriptions).toBe('^-!');
    });
  });

  it('fails the session stream when transport.failure$ errors, adding env context, and closes the transport', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const dropped = new ConnectionClosedError('socket closed by server', 1011, 'boom', { url: 'http://127.0.0.1:8000' });
      const failure$ = cold<never>(' ---#   ', undefined, dropped);
      const transport = fakeTransport({ failure$ });
      const transport$ = cold('      -t      ', { t: transport });
      const expected = '            -s--#  ';
      const failureSubs = '         -^--!  ';
      const withSessionContext = expect.objectContaining({
        closeCode: 1011,
        context: expect.objectContaining({ env: 'grid_world', transport: 'ws', url: 'http://127.0.0.1:8000', stepIndex: 0 }),
      });
      expectObservable(GridWorld.fromTransport(transport$)).toBe(expected, { s: anySession }, withSessionContext);
      expectSubscriptions(failure$.subscriptions).toBe(failureSubs);
      flush();
      expect(dropped.context).toEqual({ url: 'http://127.0.0.1:8000' }); // the shared original is left alone
      expect(transport.closeCalls).toBe(1);
    });
  });

  it('closes the transport exactly once on unsubscribe; the session then refuses calls with SessionStateError', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const transport = fakeTransport();
      let session: GridSession | undefined;
      const session$ = GridWorld.fromTransport(cold('t', { t: transport })).pipe(tap((s) => (session = s)));
      expectObservable(session$, '^--!').toBe('s---', { s: anySession });
      flush();
      expect(transport.closeCalls).toBe(1);
      let late: unknown;
      session!.step({ action: 'UP' }).subscribe({ error: (e: unknown) => (late = e) });
      expect(late).toBeInstanceOf(SessionStateError);
      expect(transport.requests).toEqual([]);
    });
  });

  it('abandons an in-flight step when the session is unsubscribed', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const reply = cold('          -----(r|)', { r: at(1) });
      const transport = fakeTransport({ step: () => reply });
      const transport$ = cold('    -t       ', { t: transport });
      const unsub = '             ^---!    ';
      const expected = '          -----    ';
      const replySubs = '         -^--!    ';
      const run$ = GridWorld.fromTransport(transport$).pipe(switchMap((env) => env.step({ action: 'UP' })));
      expectObservable(run$, unsub).toBe(expected);
      expectSubscriptions(reply.subscriptions).toBe(replySubs);
      flush();
      expect(transport.closeCalls).toBe(1);
    });
  });

  it('errors with ConnectionError when the transport source completes without a transport', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(GridWorld.fromTransport(cold('--|'))).toBe('--#', undefined, expect.any(ConnectionError));
    });
  });

  it('passes an open error through with env context', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const refused = new ConnectionError('connect ECONNREFUSED', { url: 'http://127.0.0.1:1' });
      const withEnv = expect.objectContaining({ message: 'connect ECONNREFUSED [env grid_world, http://127.0.0.1:1]', context: { url: 'http://127.0.0.1:1', env: 'grid_world' } });
      expectObservable(GridWorld.fromTransport(cold('-#', undefined, refused))).toBe('-#', undefined, withEnv);
      flush();
      expect(refused.context).toEqual({ url: 'http://127.0.0.1:1' });
    });
  });
});

describe('defineEnv(...).fromEndpoint / connect', () => {
  /** An endpoint source that logs its teardown, and an injected openTransport that logs opens. */
  function harness(cold: TestScheduler['createColdObservable'], failure$?: Observable<never>) {
    const log: string[] = [];
    const transport: FakeTransport = fakeTransport();
    const realClose = transport.close;
    transport.close = () => {
      log.push('transport closed');
      realClose();
    };
    const endpoint: Endpoint = { url: 'http://127.0.0.1:49153', kind: 'docker', id: 'c0ffee', ...(failure$ ? { failure$ } : {}) };
    const endpoint$ = new Observable<Endpoint>((subscriber) => {
      const sub = cold('--e', { e: endpoint }).subscribe(subscriber);
      return () => {
        sub.unsubscribe();
        log.push('endpoint stopped');
      };
    });
    const opened: Array<[string, unknown]> = [];
    const openTransport: OpenTransport = (url, options) => {
      opened.push([url, options]);
      return cold('-t', { t: transport });
    };
    return { log, transport, endpoint$, opened, env: defineEnv(GridWorld.spec, { openTransport }) };
  }

  it('opens the transport on the endpoint url, and on unsubscribe closes it BEFORE the endpoint stops', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const { log, endpoint$, opened, env } = harness(cold);
      expectObservable(env.fromEndpoint(endpoint$, { transport: 'ws' }), '^-----!').toBe('---s--', { s: anySession });
      flush();
      expect(opened).toEqual([['http://127.0.0.1:49153', { transport: 'ws' }]]);
      expect(log).toEqual(['transport closed', 'endpoint stopped']);
    });
  });

  it('fails the session stream when the endpoint dies (endpoint.failure$), then closes and stops everything', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const exited = new ServerExitedError('container', 137, ['killed'], { containerId: 'c0ffee' });
      const { log, endpoint$, env } = harness(cold, cold<never>('----#', undefined, exited));
      const withEnv = expect.objectContaining({
        exitCode: 137,
        context: { env: 'grid_world', url: 'http://127.0.0.1:49153', containerId: 'c0ffee' },
      });
      expectObservable(env.fromEndpoint(endpoint$)).toBe('---s--#', { s: anySession }, withEnv);
      flush();
      expect(exited.context).toEqual({ containerId: 'c0ffee' });
      expect(log).toEqual(['transport closed', 'endpoint stopped']);
    });
  });

  it('connect(url) opens a transport on that url with the options given', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const { opened, env, transport } = harness(cold);
      expectObservable(env.connect('http://127.0.0.1:8000', { replyTimeoutMs: 5 }), '^--!').toBe('-s-', { s: anySession });
      flush();
      expect(opened).toEqual([['http://127.0.0.1:8000', { replyTimeoutMs: 5 }]]);
      expect(transport.closeCalls).toBe(1);
    });
  });
});
