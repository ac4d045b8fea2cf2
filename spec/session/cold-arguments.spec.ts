import { firstValueFrom } from 'rxjs';
import { OpenEnvError } from '../../src/errors/openenv-error.js';
import { defineEnv } from '../../src/session/define-env.js';

const Env = defineEnv({ name: 'cold' });

const errorOf = async (source: Parameters<typeof firstValueFrom>[0]) => firstValueFrom(source).then(() => undefined, (e: unknown) => e);

describe('bad arguments error the session Observable (cold), never throw while a pipeline is built', () => {
  it.each([
    ['connect with a non-http URL', () => Env.connect('ftp://127.0.0.1:21')],
    ['connect with garbage', () => Env.connect('not a url')],
    ['fromDockerImage with an empty image', () => Env.fromDockerImage('')],
    ['fromProcess with an empty command', () => Env.fromProcess('')],
  ])('%s', async (_name, build) => {
    const session$ = build(); // must not throw
    const error = await errorOf(session$);
    expect(error).toBeInstanceOf(OpenEnvError);
    expect((error as OpenEnvError).code).toMatch(/^ERR_INVALID_(URL|OPTION)$/);
  });

  it('never echoes credentials or a query (signed URLs) of a rejected URL', async () => {
    for (const url of ['http://user:s3cret@127.0.0.1:1', 'http://127.0.0.1:1/?sig=s3cret', 'http//user:s3cret@127.0.0.1']) {
      const error = (await errorOf(Env.connect(url))) as OpenEnvError;
      expect(error.code).toBe('ERR_INVALID_URL');
      expect(`${error.message} ${JSON.stringify(error.context)}`).not.toContain('s3cret');
    }
  });

  it('normalises a trailing slash instead of probing "/schema" under a bad path', async () => {
    const error = (await errorOf(Env.connect('http://127.0.0.1:9/'))) as OpenEnvError;
    expect(error.code).toBe('ERR_CONNECTION');
    expect(error.context.url).toBe('http://127.0.0.1:9');
  });
});
