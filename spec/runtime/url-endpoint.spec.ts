import { firstValueFrom, toArray } from 'rxjs';
import { OpenEnvError } from '../../src/errors/index.js';
import { urlEndpoint } from '../../src/runtime/url-endpoint.js';

describe('urlEndpoint', () => {
  it('emits the normalised base URL once and completes', async () => {
    expect(await firstValueFrom(urlEndpoint('http://127.0.0.1:8000/').pipe(toArray()))).toEqual([{ url: 'http://127.0.0.1:8000', kind: 'url' }]);
    expect(await firstValueFrom(urlEndpoint('https://user-env.hf.space/prefix//'))).toEqual({ url: 'https://user-env.hf.space/prefix', kind: 'url' });
  });

  it.each([
    ['ws://127.0.0.1:8000', /Unsupported server URL scheme ws:/],
    ['ftp://example', /use http:\/\/ or https:\/\//],
    ['127.0.0.1:8000', /Invalid server URL "127\.0\.0\.1:8000": expected e\.g\. http:/],
    ['not a url', /Invalid server URL "not a url"/],
    ['http://me:secret@127.0.0.1:8000', /must not contain credentials/],
    ['http://127.0.0.1:8000/?x=1', /must not have a query/],
  ])('rejects %s at call time with ERR_INVALID_URL', (url, message) => {
    let error: unknown;
    try {
      urlEndpoint(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OpenEnvError);
    expect((error as OpenEnvError).code).toBe('ERR_INVALID_URL');
    expect((error as OpenEnvError).message).toMatch(message);
    expect((error as OpenEnvError).message).not.toContain('secret');
  });
});
