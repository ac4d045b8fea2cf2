import { inspect } from 'node:util';
import { defer, firstValueFrom, lastValueFrom, type Observable } from 'rxjs';
import { z } from 'zod';
import { runConformance } from '../../src/conformance/run-conformance.js';
import { InvalidUrlError, OpenEnvError } from '../../src/errors/index.js';
import { redactUrl, serverBaseUrl, wsUrlOf } from '../../src/internal/server-url.js';
import { retryConnect } from '../../src/operators/retry-connect.js';
import { urlEndpoint } from '../../src/runtime/url-endpoint.js';
import { defineEnv } from '../../src/session/define-env.js';
import { createHttpClient } from '../../src/transport/http-client.js';
import { openHttpTransport } from '../../src/transport/http-transport.js';
import { openTransport, probeTransportKind } from '../../src/transport/open-transport.js';
import { resolveTransportOptions } from '../../src/transport/transport-options.js';
import { openWsTransport } from '../../src/transport/ws-transport.js';
import { wsUrlFor } from '../../src/transport/ws-url.js';
import { connect, useTestCleanups } from './support.js';

const Echo = defineEnv({ name: 'echo', action: z.object({ message: z.string() }) });

describe('serverBaseUrl: the one server URL parser', () => {
  it.each([
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000'],
    ['http://127.0.0.1:8000///', 'http://127.0.0.1:8000'],
    ['HTTP://LocalHost:8000/', 'http://localhost:8000'],
    ['http://[::1]:8000/', 'http://[::1]:8000'],
    ['https://host.example:443/', 'https://host.example'],
    ['https://host.example/prefix/env/', 'https://host.example/prefix/env'],
    ['http://127.0.0.1:8000/#section', 'http://127.0.0.1:8000'],
    ['ws://127.0.0.1:8000', 'http://127.0.0.1:8000'],
    ['wss://owner-env.hf.space/ws', 'https://owner-env.hf.space'],
    ...['ws', 'health', 'reset', 'step', 'state', 'schema', 'metadata', 'mcp', 'docs', 'redoc', 'openapi.json', 'web'].map(
      (route): [string, string] => [`http://127.0.0.1:8000/prefix/${route}/`, 'http://127.0.0.1:8000/prefix'],
    ),
    // Only the last segment is a route: a prefix that happens to be named like one stays.
    ['http://127.0.0.1:8000/ws/ws', 'http://127.0.0.1:8000/ws'],
    ['http://127.0.0.1:8000/steps', 'http://127.0.0.1:8000/steps'],
  ])('%s → %s', (input, base) => {
    expect(serverBaseUrl(input)).toBe(base);
  });

  it.each([
    ['not a url', /^Invalid server URL "not a url": expected an absolute http\(s\) URL such as http:\/\/127\.0\.0\.1:8000$/],
    ['', /^Invalid server URL "": expected an absolute http\(s\) URL/],
    ['localhost:8000', /^Invalid server URL "localhost:8000": the scheme is missing: use http:\/\/localhost:8000$/],
    ['127.0.0.1:8000/ws', /the scheme is missing: use http:\/\/127\.0\.0\.1:8000\/ws$/],
    ['ftp://127.0.0.1', /unsupported scheme ftp: use http:\/\/ or https:\/\//],
    ['http://user:s3cret@127.0.0.1:8000', /^Invalid server URL "http:\/\/\*\*\*@127\.0\.0\.1:8000\/": credentials do not belong in the URL .*headers/],
    ['http://127.0.0.1:8000/?token=s3cret', /^Invalid server URL "http:\/\/127\.0\.0\.1:8000\/\?\*\*\*": a query does not belong/],
    ['https://huggingface.co/spaces/Open_Env/echo.env', /this is the Space's web page, not its server: use https:\/\/open-env-echo-env\.hf\.space$/],
  ])('refuses %j with InvalidUrlError and says what to do', (input, message) => {
    let error: unknown;
    try {
      serverBaseUrl(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidUrlError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_URL', context: {} });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('redacts credentials and queries, also of strings that do not parse', () => {
    expect(redactUrl('https://u:p@host/x?sig=1#frag')).toBe('"https://***@host/x?***"');
    expect(redactUrl('http//user:s3cret@127.0.0.1/a?b')).toBe('"http//***@127.0.0.1/a?***"');
    expect(redactUrl('user:s3cret@host')).toBe('"***@host"');
    expect(redactUrl('x'.repeat(500))).toBe(`"${'x'.repeat(200)}..."`);
  });

  it('derives the /ws URL from a base', () => {
    expect(wsUrlOf('http://127.0.0.1:8000')).toBe('ws://127.0.0.1:8000/ws');
    expect(wsUrlOf('https://host.example/prefix')).toBe('wss://host.example/prefix/ws');
  });
});

describe('every entry point parses server URLs the same way', () => {
  const { cleanups, replayServer } = useTestCleanups();
  const SECRET_URL = 'http://user:s3cret@127.0.0.1:1/?token=s3cret';

  const firstError = (source: Observable<unknown>): Promise<unknown> => firstValueFrom(source).then(
    (value) => ({ unexpectedValue: value }),
    (error: unknown) => error,
  );
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it.each<[string, () => Promise<unknown>]>([
    ['openTransport (auto)', () => firstError(openTransport(SECRET_URL))],
    ['openTransport (ws)', () => firstError(openTransport(SECRET_URL, { transport: 'ws' }))],
    ['openWsTransport', () => firstError(openWsTransport(SECRET_URL))],
    ['openHttpTransport', () => firstError(openHttpTransport(SECRET_URL))],
    ['probeTransportKind', () => firstError(probeTransportKind(SECRET_URL))],
    ['urlEndpoint', () => firstError(urlEndpoint(SECRET_URL))],
    ['defineEnv(...).connect', () => firstError(Echo.connect(SECRET_URL))],
    ['defineEnv(...).fromTransport', () => firstError(Echo.fromTransport(openTransport(SECRET_URL)))],
    ['createHttpClient', async () => thrown(() => createHttpClient(SECRET_URL, resolveTransportOptions(), 'http'))],
    ['wsUrlFor', async () => thrown(() => wsUrlFor(SECRET_URL))],
    ['runConformance', () => runConformance(SECRET_URL).then((value) => ({ unexpectedValue: value }), (error: unknown) => error)],
  ])('%s: InvalidUrlError; the credentials and the token reach neither the message nor the context', async (_name, attempt) => {
    const error = await attempt();
    expect(error).toBeInstanceOf(InvalidUrlError);
    expect((error as OpenEnvError).context.url).toBeUndefined();
    expect(inspect(error, { depth: Infinity, showHidden: true })).not.toContain('s3cret');
  });

  it('retryConnect never retries an invalid URL (a usage error), however the session was opened', async () => {
    let opened = 0;
    const counted = <T>(source: () => Observable<T>): Observable<T> => defer(() => ((opened += 1), source()));
    for (const session$ of [
      counted(() => Echo.fromTransport(openTransport(SECRET_URL))),
      counted(() => Echo.fromTransport(openWsTransport('ftp://127.0.0.1:1'))),
      counted(() => Echo.connect('127.0.0.1:8000')),
    ]) {
      opened = 0;
      const error = await lastValueFrom(session$.pipe(retryConnect({ maxRetries: 3, backoff: () => 0 }))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidUrlError);
      expect(opened).toBe(1);
      expect((error as OpenEnvError).context.attempts).toBe(1);
    }
  });

  it('a pasted route or trailing slash reaches the server at its base, over every transport', async () => {
    const replay = await replayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl' });
    const auto = await connect(openTransport(`${replay.url}/ws/`));
    const ws = await connect(openWsTransport(`${replay.url}/health`));
    const http = await connect(openHttpTransport(`${replay.url}/reset//`));
    cleanups.push(() => auto.subscription.unsubscribe(), () => ws.subscription.unsubscribe(), () => http.subscription.unsubscribe());
    expect([auto.transport.url, ws.transport.url, http.transport.url]).toEqual([replay.url, replay.url, replay.url]);
    await firstValueFrom(http.transport.health());
    expect(replay.upgrades.map((u) => u.path)).toEqual(['/ws', '/ws']);
    expect(replay.received.filter((r) => r.kind === 'http').map((r) => r.path)).toEqual(['/schema', '/health']);
    const results = await runConformance(`${replay.url}/schema`, { checks: [] });
    expect(results).toEqual([]);
  });
});
