import Docker from 'dockerode';
import { checkDockerReachable } from '../../src/runtime/docker/docker-client.js';
import { swarmManagerInfo } from '../../src/runtime/swarm/swarm-manager.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { dockerReachable, removeContainersOwnedBy } from '../fixtures/docker-test-support.js';
import { removeServicesOwnedBy, swarmReachable } from '../swarm/support/swarm-test-support.js';
import { describeOrSkip } from './describe-or-skip.js';

/** How an engine suite differs from the others. */
export interface EngineSuiteOptions {
  /** Await the runtimes' teardowns after every test too (not only after the suite). Default true. */
  teardownEachTest?: boolean;
  /**
   * Whose containers (services, for a swarm suite) are removed after the suite: read then, so
   * child processes started by the tests count. Default: this process.
   */
  owners?: () => readonly number[];
}

/** A real-engine suite: its Docker client, whether the engine answered, and its `describe`. */
export interface EngineSuite {
  readonly docker: Docker;
  /** An engine (for `swarmSuite`: a swarm manager) answered when the file loaded. */
  readonly available: boolean;
  /**
   * `describe` that runs when `available` or under CI=true (its first `beforeAll` then FAILS on
   * the missing engine, never skips), else skips with a message. Its first `beforeAll` checks the
   * engine, so `body`'s own `beforeAll` (an image build) runs on a live one; the runtimes'
   * teardowns are awaited after each test, and after the suite (once `body`'s own `afterAll`s ran)
   * whatever this process (or `options.owners`) still owns on the engine (containers, or services
   * for a swarm suite) is removed.
   */
  describe(title: string, body: () => void, options?: EngineSuiteOptions): void;
}

/**
 * THE Docker suite preamble of the specs (at the top of a file: `const engine = await dockerSuite();`).
 *
 * @example
 * const engine = await dockerSuite();
 * engine.describe('dockerEndpoint on a real engine', () => {
 *   let image: string;
 *   beforeAll(async () => {
 *     image = await ensureTestImage();
 *   }, 120_000);
 *   it('...', async () => { ... });
 * });
 */
export async function dockerSuite(): Promise<EngineSuite> {
  const docker = new Docker();
  const available = await dockerReachable(docker);
  const skip = 'Docker engine unreachable: skipping docker runtime tests (with CI=true they fail instead)';
  return engineSuite(docker, available, describeOrSkip(available, skip), (pids) => removeContainersOwnedBy(docker, pids));
}

/** As `dockerSuite`, for suites that need a swarm manager (CI=true without one: `SwarmUnavailableError` in `beforeAll`). */
export async function swarmSuite(): Promise<EngineSuite> {
  const docker = new Docker();
  const available = await swarmReachable(docker);
  const skip = 'No swarm manager (docker swarm init --advertise-addr 127.0.0.1): skipping swarm tests (with CI=true they fail instead)';
  return engineSuite(docker, available, describeOrSkip(available, skip), (pids) => removeServicesOwnedBy(docker, pids), async () => {
    await swarmManagerInfo(docker);
  });
}

function engineSuite(
  docker: Docker,
  available: boolean,
  describe: jest.Describe,
  removeOwned: (pids: number[]) => Promise<number>,
  checkSwarm?: () => Promise<void>,
): EngineSuite {
  return {
    docker,
    available,
    describe: (title, body, options = {}) =>
      describe(title, () => {
        beforeAll(async () => {
          await checkDockerReachable(docker); // CI=true without an engine: DockerUnavailableError here
          await checkSwarm?.();
        }, 30_000);
        if (options.teardownEachTest ?? true) afterEach(() => awaitRuntimeTeardowns());
        body();
        // After body's own afterAlls (jest runs a block's hooks in the order declared): a suite
        // that kills its child processes there has them dead before their containers are swept.
        afterAll(async () => {
          await awaitRuntimeTeardowns();
          if (available) await removeOwned([...(options.owners?.() ?? [process.pid])].filter((pid) => pid > 0));
        });
      }),
  };
}
