import { firstValueFrom, toArray } from 'rxjs';
import { InvalidUrlError } from '../../src/errors/index.js';
import { urlEndpoint } from '../../src/runtime/url-endpoint.js';

describe('urlEndpoint', () => {
  it('emits the normalised base URL once and completes', async () => {
    expect(await firstValueFrom(urlEndpoint('http://127.0.0.1:8000/').pipe(toArray()))).toEqual([{ url: 'http://127.0.0.1:8000', kind: 'url' }]);
    expect(await firstValueFrom(urlEndpoint('https://user-env.hf.space/prefix//'))).toEqual({ url: 'https://user-env.hf.space/prefix', kind: 'url' });
    expect(await firstValueFrom(urlEndpoint('ws://127.0.0.1:8000/ws'))).toEqual({ url: 'http://127.0.0.1:8000', kind: 'url' });
  });

  it.each([
    ['ftp://example', /unsupported scheme ftp: use http:\/\/ or https:\/\//],
    ['127.0.0.1:8000', /Invalid server URL "127\.0\.0\.1:8000": the scheme is missing: use http:\/\/127\.0\.0\.1:8000/],
    ['not a url', /Invalid server URL "not a url": expected an absolute http\(s\) URL/],
    ['http://me:secret@127.0.0.1:8000', /"http:\/\/\*\*\*@127\.0\.0\.1:8000\/": credentials do not belong in the URL/],
    ['http://127.0.0.1:8000/?x=secret', /a query does not belong in a server URL/],
  ])('is cold: %s errors the Observable with InvalidUrlError, never throws at call time', async (url, message) => {
    const endpoint$ = urlEndpoint(url); // must not throw
    const error = await firstValueFrom(endpoint$).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidUrlError);
    expect((error as InvalidUrlError).code).toBe('ERR_INVALID_URL');
    expect((error as InvalidUrlError).message).toMatch(message);
    expect((error as InvalidUrlError).message).not.toContain('secret');
  });
});
