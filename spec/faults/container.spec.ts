import Docker from 'dockerode';
import { switchMap } from 'rxjs';
import { DockerUnavailableError, ServerExitedError } from '../../src/errors/index.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { containersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { Echo, say } from './support/echo-env.js';
import { errorWithin, installFaultGuards } from './support/fault-guards.js';
import { sessionFailure } from './support/session-runs.js';
import { dockerSuite } from '../support/engine-suite.js';

const engine = await dockerSuite();
const { docker, available } = engine;
const mine = (): Promise<string[]> => containersOwnedBy(docker, [process.pid]);
const WITHIN_MS = 20_000;
/** Jest's own limit per test: above WITHIN_MS so our bounded waits report first. */
const TEST_MS = 40_000;

engine.describe('faults: the env container dies', () => {
  installFaultGuards();
  let image: string;

  beforeAll(async () => {
    image = await ensureTestImage();
  }, 120_000);

  it('killed (docker kill) mid-episode: ServerExitedError 137 with the log tail, the container is removed', async () => {
    let containerId: string | undefined;
    const { requestError, sessionError } = await sessionFailure(
      Echo.fromDockerImage(image, { transport: 'ws', startTimeoutMs: 15_000 }),
      (env) =>
        env.episode(
          async (_, last) => {
            if (last.index === 2) {
              const [id] = await mine();
              containerId = id;
              await docker.getContainer(id!).kill();
              // Still thinking when the session learns of the death: no step 3 goes on the wire
              // (one sent before the close arrived would be the request in flight, with its context).
              return new Promise<never>(() => undefined);
            }
            return say(last.index + 1);
          },
          { maxSteps: 20, episodeId: 'ep-kill' },
        ),
      WITHIN_MS,
    );
    expect(sessionError).toBeInstanceOf(ServerExitedError);
    const exited = sessionError as ServerExitedError;
    expect(exited).toMatchObject({ code: 'ERR_CONTAINER_EXITED', kind: 'container', exitCode: 137 });
    expect(exited.context).toMatchObject({ env: 'echo', image, containerId });
    expect(exited.logTail.join('\n')).toContain('echo fixture listening');
    // Killed while the policy was thinking: no request in flight, the session reports where the episode stood.
    expect(requestError).toBeUndefined();
    expect(exited.context).toMatchObject({ stepIndex: 2, episodeId: 'ep-kill' });
    expect(exited.context.request).toBeUndefined();
    await awaitRuntimeTeardowns();
    expect(await mine()).toEqual([]);
  }, TEST_MS);

  it('exits with code 1 during an episode: ServerExitedError with exit code and log tail, the container is removed', async () => {
    const { requestError, sessionError } = await sessionFailure(
      Echo.fromDockerImage(image, { transport: 'ws', env: { ECHO_EXIT_AFTER_STEPS: '2', ECHO_EXIT_CODE: '1' }, startTimeoutMs: 15_000 }),
      // A policy that thinks for 50 ms: the server exits (20 ms after answering step 2) mid-episode.
      (env) => env.episode((_, last) => new Promise((resolve) => setTimeout(() => resolve(say(last.index + 1)), 50)), { maxSteps: 50, episodeId: 'ep-exit' }),
      WITHIN_MS,
    );
    expect(sessionError).toBeInstanceOf(ServerExitedError);
    const exited = sessionError as ServerExitedError;
    expect(exited).toMatchObject({ code: 'ERR_CONTAINER_EXITED', kind: 'container', exitCode: 1 });
    expect(exited.context).toMatchObject({ env: 'echo', image, containerId: expect.any(String) });
    expect(exited.logTail.at(-1)).toBe('exiting after 2 steps');
    expect(exited.message).toMatch(/exited with code 1\n--- last \d+ log lines ---\n[^]*exiting after 2 steps/);
    // Usually the socket dies while the policy thinks (the session reports it); if a step was
    // already on the wire, that step reports the very same error.
    if (requestError !== undefined) expect(requestError).toBe(sessionError);
    expect(exited.context).toMatchObject({ episodeId: 'ep-exit', stepIndex: expect.any(Number) });
    await awaitRuntimeTeardowns();
    expect(await mine()).toEqual([]);
  }, TEST_MS);
});

// No engine needed: the client is pointed at a socket nothing listens on.
describe('faults: no Docker engine', () => {
  installFaultGuards();

  it('Docker daemon unreachable at subscribe time: DockerUnavailableError naming what was tried, nothing started', async () => {
    const unreachable = new Docker({ socketPath: '/tmp/openenv-rx-faults-no-docker.sock' });
    const error = await errorWithin(
      Echo.fromDockerImage('openenv-rx-faults:any', { docker: unreachable, reap: false }).pipe(switchMap((env) => env.reset())),
      WITHIN_MS,
    );
    expect(error).toBeInstanceOf(DockerUnavailableError);
    expect(error).toMatchObject({
      code: 'ERR_DOCKER_UNAVAILABLE',
      tried: ['unix socket /tmp/openenv-rx-faults-no-docker.sock (ENOENT)', expect.stringMatching(/^DOCKER_HOST/)],
      context: { env: 'echo', image: 'openenv-rx-faults:any' },
    });
    if (available) expect(await mine()).toEqual([]);
  });
});
