import { concat } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { HttpStatusError } from '../../src/errors/index.js';
import { createSession } from '../../src/session/create-session.js';
import { fakeTransport } from '../../src/testing/fake-transport.js';
import type { SchemaResponse } from '../../src/protocol/http-messages.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const schema: SchemaResponse = { action: {}, observation: {}, state: {} };
const notFound = () => new HttpStatusError(404, { detail: 'Not Found' }, 'Not Found', { request: 'schema' });
const serverDown = () => new HttpStatusError(502, 'Bad Gateway', undefined, { request: 'schema' });
const stateless = expect.objectContaining({ code: 'ERR_STATELESS_HTTP', context: { env: 'env', url: 'http://127.0.0.1:8000', transport: 'http' } });

describe('EnvSession.checkEpisodes', () => {
  it('http of unknown generation: GET /schema 200 → StatelessHttpError, remembered (no second probe)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold<SchemaResponse>('-(s|)', { s: schema });
      const session = createSession(fakeTransport({ kind: 'http', stateful: undefined, schema: () => answer }), { name: 'env' });
      expectObservable(concat(session.checkEpisodes(), session.checkEpisodes())).toBe('-#', undefined, stateless);
      expectObservable(session.checkEpisodes(), '--^').toBe('--#', undefined, stateless);
      expectSubscriptions(answer.subscriptions).toBe('^!');
    });
  });

  it('http of unknown generation: 404 (generation A) → completes, remembered', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold<SchemaResponse>('--#', undefined, notFound());
      const session = createSession(fakeTransport({ kind: 'http', stateful: undefined, schema: () => answer }), { name: 'env' });
      expectObservable(concat(session.checkEpisodes(), session.checkEpisodes())).toBe('--|');
      expectSubscriptions(answer.subscriptions).toBe('^-!');
    });
  });

  it('any other answer says nothing about the generation: the error passes, the next call asks again', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold<SchemaResponse>('-#', undefined, serverDown());
      const session = createSession(fakeTransport({ kind: 'http', stateful: undefined, schema: () => answer }), { name: 'env' });
      expectObservable(session.checkEpisodes()).toBe('-#', undefined, expect.objectContaining({ status: 502, context: expect.objectContaining({ env: 'env' }) }));
      expectObservable(session.checkEpisodes(), '--^').toBe('---#', undefined, expect.objectContaining({ status: 502 }));
      expectSubscriptions(answer.subscriptions).toBe(['^!', '--^!']);
    });
  });

  it('known transports ask nothing: ws and stateful http complete at once, known stateless http errors at once', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold<SchemaResponse>('-(s|)', { s: schema });
      const ws = createSession(fakeTransport({ kind: 'ws', stateful: undefined, schema: () => answer }), { name: 'env' });
      const legacy = createSession(fakeTransport({ kind: 'http', stateful: true, schema: () => answer }), { name: 'env' });
      const fresh = createSession(fakeTransport({ kind: 'http', stateful: false, schema: () => answer }), { name: 'env' });
      expectObservable(ws.checkEpisodes()).toBe('|');
      expectObservable(legacy.checkEpisodes()).toBe('|');
      expectObservable(fresh.checkEpisodes()).toBe('#', undefined, stateless);
      expectSubscriptions(answer.subscriptions).toBe([]);
    });
  });

  it('allowStatelessEpisodes: true skips the check', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold<SchemaResponse>('-(s|)', { s: schema });
      const session = createSession(fakeTransport({ kind: 'http', stateful: false, schema: () => answer }), { name: 'env' }, { allowStatelessEpisodes: true });
      expectObservable(session.checkEpisodes()).toBe('|');
      expectSubscriptions(answer.subscriptions).toBe([]);
    });
  });

  it('an episode on a stateless session sends no reset: the error carries the episode context', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const transport = fakeTransport({ kind: 'http', stateful: undefined, schema: () => cold('-(s|)', { s: schema }), reset: () => cold('(r|)', { r: { observation: {}, reward: null, done: false } }) });
      const session = createSession(transport, { name: 'env' });
      expectObservable(session.episode(() => ({}), { episodeId: 'ep' })).toBe(
        '-#',
        undefined,
        expect.objectContaining({ code: 'ERR_STATELESS_HTTP', context: expect.objectContaining({ episodeId: 'ep', episodeIndex: 0, stepIndex: 0 }) }),
      );
    });
  });
});
