import { firstValueFrom } from 'rxjs';
import { DockerError, SwarmTaskError, TimeoutError } from '../../src/errors/index.js';
import { swarmEndpoint } from '../../src/runtime/swarm/swarm-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { Echo, say } from '../faults/support/echo-env.js';
import { sessionFailure } from '../faults/support/session-runs.js';
import { containersOfServices, serviceExists, servicesOwnedBy, tasksOf } from './support/swarm-test-support.js';
import { pollUntil } from '../support/poll.js';
import { swarmSuite } from '../support/engine-suite.js';

const engine = await swarmSuite();
const { docker } = engine;
const mine = (): Promise<string[]> => servicesOwnedBy(docker, [process.pid]);
const WITHIN_MS = 30_000;

/** Resolves with the error the Observable fails with (and fails the test if it emits instead). */
function errorOf(source$: ReturnType<typeof swarmEndpoint>): Promise<unknown> {
  return firstValueFrom(source$).then(
    (value) => {
      throw new Error(`expected an error, got the endpoint ${value.url}`);
    },
    (error: unknown) => error,
  );
}

engine.describe('swarm sessions that fail (real single-node swarm)', () => {
  let image: string;

  beforeAll(async () => {
    image = await ensureTestImage(); // the fixture echo server: ECHO_EXIT_AFTER_STEPS, ECHO_CRASH_AT_START
  }, 240_000);

  afterEach(async () => {
    expect(await mine()).toEqual([]); // every failure removed its service (the suite awaited the teardowns)
  });

  it('a task that exits mid-episode fails the session with SwarmTaskError: state failed, exit code, the log tail', async () => {
    let serviceId: string | undefined;
    const { sessionError } = await sessionFailure(
      // The fixture has no /schema: name the transport instead of probing for it.
      Echo.fromSwarmService(image, { transport: 'ws', env: { ECHO_EXIT_AFTER_STEPS: '2', ECHO_EXIT_CODE: '3' }, onStopped: (info) => (serviceId = info.serviceId) }),
      // A policy that thinks for 50 ms: the server exits (20 ms after answering step 2) mid-episode.
      (env) => env.episode((_, last) => new Promise((resolve) => setTimeout(() => resolve(say(last.index + 1)), 50)), { maxSteps: 50, episodeId: 'ep-exit' }),
      WITHIN_MS,
    );
    expect(sessionError).toBeInstanceOf(SwarmTaskError);
    const failed = sessionError as SwarmTaskError;
    expect(failed).toMatchObject({ code: 'ERR_SWARM_TASK', state: 'failed', exitCode: 3, taskMessage: 'task: non-zero exit (3)' });
    expect(failed.logTail.at(-1)).toBe('exiting after 2 steps');
    expect(failed.message).toMatch(/is failed on node \S+: task: non-zero exit \(3\) \(exit code 3\)\n--- last \d+ log lines ---\n[^]*exiting after 2 steps/);
    expect(failed.context).toMatchObject({ env: 'echo', image, serviceId: expect.any(String), taskId: expect.any(String), nodeId: expect.any(String) });
    await awaitRuntimeTeardowns();
    expect(serviceId).toBe(failed.context['serviceId']);
    expect(await serviceExists(docker, serviceId!)).toBe(false);
    expect(await containersOfServices(docker, [serviceId!])).toEqual([]);
  }, 60_000);

  it('a server that crashes at start: SwarmTaskError with its exit code and last 50 log lines, service removed before the error', async () => {
    const error = (await errorOf(swarmEndpoint(image, { env: { ECHO_CRASH_AT_START: '7' } }))) as SwarmTaskError;
    expect(error).toBeInstanceOf(SwarmTaskError);
    expect(error).toMatchObject({ state: 'failed', exitCode: 7 });
    expect(error.logTail).toHaveLength(50);
    expect(error.logTail.at(-1)).toBe('fatal: crashing on purpose');
    // Removed before the error was emitted: no waiting here.
    expect(await serviceExists(docker, error.context['serviceId'] as string)).toBe(false);
  }, 60_000);

  it('a constraint no node satisfies: SwarmTaskError state pending with the scheduler message, within schedulingTimeoutMs, service removed', async () => {
    const started = performance.now();
    const error = (await errorOf(
      swarmEndpoint(image, { constraints: ['node.labels.openenv-rx-test-no-such-pool==1'], schedulingTimeoutMs: 1_000, startTimeoutMs: 30_000 }),
    )) as SwarmTaskError;
    expect(performance.now() - started).toBeLessThan(20_000); // bounded by schedulingTimeoutMs, not the start timeout
    expect(error).toBeInstanceOf(SwarmTaskError);
    expect(error).toMatchObject({ state: 'pending', exitCode: null, logTail: [] });
    expect(error.taskMessage).toMatch(/no suitable node \(scheduling constraints not satisfied on \d+ nodes?\)/);
    expect(await serviceExists(docker, error.context['serviceId'] as string)).toBe(false);
  }, 60_000);

  it('an image missing on the node is rejected: SwarmTaskError state rejected naming the image', async () => {
    const missing = 'openenv-rx-test-no-such-image:never-built';
    const error = (await errorOf(swarmEndpoint(missing, { pull: 'if-missing' }))) as SwarmTaskError;
    expect(error).toBeInstanceOf(SwarmTaskError);
    expect(error).toMatchObject({ state: 'rejected', exitCode: null });
    expect(error.taskMessage).toContain(`No such image: ${missing}`);
    expect(await serviceExists(docker, error.context['serviceId'] as string)).toBe(false);
  }, 60_000);

  it("pull 'never' (default) with an image the manager does not have: DockerError before any service is created", async () => {
    let stopped: { serviceId?: string } | undefined;
    const error = await errorOf(swarmEndpoint('openenv-rx-test-no-such-image:never-built', { onStopped: (info) => (stopped = info) }));
    expect(error).toBeInstanceOf(DockerError);
    expect((error as DockerError).message).toMatch(/not present on the swarm manager.*pull: 'if-missing'/);
    expect(stopped).toEqual({ serviceId: undefined, sessionId: expect.any(String) });
  }, 30_000);

  it('the start timeout names the last task state and removes the service', async () => {
    const error = (await errorOf(
      swarmEndpoint(image, { constraints: ['node.labels.openenv-rx-test-no-such-pool==1'], schedulingTimeoutMs: Infinity, startTimeoutMs: 1_500 }),
    )) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.phase).toBe('start');
    expect(error.message).toMatch(/not running after 1500 ms \(last seen: task pending \(no suitable node/);
    expect(await serviceExists(docker, error.context['serviceId'] as string)).toBe(false);
  }, 30_000);

  it('unsubscribing while the task starts removes the service and its container; nothing is emitted', async () => {
    let stopped: { serviceId?: string } | undefined;
    const emitted: unknown[] = [];
    const subscription = swarmEndpoint(image, { onStopped: (info) => (stopped = info) }).subscribe({
      next: (endpoint) => emitted.push(endpoint),
      error: (error: unknown) => emitted.push(error),
    });
    // Gate on the engine, not a timer: unsubscribe once the task exists and has not run yet.
    let serviceId: string | undefined;
    let stateAtUnsubscribe: string | undefined;
    const starting = await pollUntil(async () => {
      [serviceId] = await mine();
      const [task] = serviceId ? await tasksOf(docker, serviceId) : [];
      stateAtUnsubscribe = task?.Status.State;
      return stateAtUnsubscribe !== undefined;
    }, 'the condition above', { timeoutMs: 20_000, intervalMs: 50 }).then(() => true, () => false);
    subscription.unsubscribe();
    expect(starting).toBe(true);
    expect(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']).toContain(stateAtUnsubscribe);
    await awaitRuntimeTeardowns();
    expect(emitted).toEqual([]);
    expect(stopped?.serviceId).toBe(serviceId);
    expect(await serviceExists(docker, serviceId!)).toBe(false);
    expect(await containersOfServices(docker, [serviceId!])).toEqual([]);
  }, 60_000);

  it('a service removed by someone else mid-session fails it with SwarmTaskError (shutdown)', async () => {
    const { sessionError } = await sessionFailure(
      Echo.fromSwarmService(image, { transport: 'ws' }),
      (env) =>
        env.episode(
          async (_, last) => {
            if (last.index === 1) {
              const [serviceId] = await mine();
              await docker.getService(serviceId!).remove();
            }
            return say(last.index + 1);
          },
          { maxSteps: 1_000 },
        ),
      WITHIN_MS,
    );
    expect(sessionError).toBeInstanceOf(SwarmTaskError);
    // Shut down by the orchestrator; or already deleted when the next poll came.
    const { state, message } = sessionError as SwarmTaskError;
    expect(['shutdown', 'removed']).toContain(state);
    expect(message).toMatch(/is (shutdown|removed)/);
  }, 60_000);
});
