import Docker from 'dockerode';
import { firstValueFrom } from 'rxjs';
import { DockerUnavailableError } from '../../src/errors/index.js';
import { dockerEndpoint } from '../../src/runtime/docker/docker-endpoint.js';
import { reapOrphans } from '../../src/runtime/reap-orphans.js';
import { freePort } from '../../src/runtime/process/free-port.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';

// No engine is needed here: every case points the client somewhere nothing answers.
const savedDockerHost = process.env['DOCKER_HOST'];

afterEach(async () => {
  if (savedDockerHost === undefined) delete process.env['DOCKER_HOST'];
  else process.env['DOCKER_HOST'] = savedDockerHost;
  await awaitRuntimeTeardowns();
});

async function startError(source$: ReturnType<typeof dockerEndpoint>): Promise<DockerUnavailableError> {
  const error = await firstValueFrom(source$).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DockerUnavailableError);
  return error as DockerUnavailableError;
}

describe('Docker unreachable', () => {
  it('DOCKER_HOST at a closed 127.0.0.1 port: names the host, the value and the system error', async () => {
    const port = await freePort(); // bound then released: nothing listens there
    process.env['DOCKER_HOST'] = `tcp://127.0.0.1:${port}`;
    const error = await startError(dockerEndpoint('any-image:latest', { reap: false }));
    expect(error.code).toBe('ERR_DOCKER_UNAVAILABLE');
    expect(error.tried).toEqual([`http://127.0.0.1:${port} (ECONNREFUSED)`, `DOCKER_HOST=tcp://127.0.0.1:${port}`]);
    expect(error.message).toMatch(/Start dockerd, or set DOCKER_HOST/);
    expect(error.context.image).toBe('any-image:latest');
  });

  it('a missing socket path: names the socket and ENOENT', async () => {
    const docker = new Docker({ socketPath: '/tmp/openenv-rx-no-such-docker.sock' });
    const error = await startError(dockerEndpoint('any-image:latest', { docker, reap: false }));
    expect(error.tried[0]).toBe('unix socket /tmp/openenv-rx-no-such-docker.sock (ENOENT)');
  });

  it('DOCKER_HOST=unix:// with a missing path is reported with its value', async () => {
    process.env['DOCKER_HOST'] = 'unix:///tmp/openenv-rx-absent.sock';
    const error = await startError(dockerEndpoint('any-image:latest', { reap: false }));
    expect(error.tried).toEqual(['unix socket /tmp/openenv-rx-absent.sock (ENOENT)', 'DOCKER_HOST=unix:///tmp/openenv-rx-absent.sock']);
  });

  it('a malformed DOCKER_HOST is a DockerUnavailableError, not a crash', async () => {
    process.env['DOCKER_HOST'] = 'tcp://[not-a-host';
    const error = await startError(dockerEndpoint('any-image:latest', { reap: false }));
    expect(error.tried.join(' ')).toContain('DOCKER_HOST=tcp://[not-a-host');
  });

  it('reapOrphans rejects with DockerUnavailableError', async () => {
    const docker = new Docker({ socketPath: '/tmp/openenv-rx-no-such-docker.sock' });
    await expect(reapOrphans({ docker })).rejects.toBeInstanceOf(DockerUnavailableError);
  });
});
