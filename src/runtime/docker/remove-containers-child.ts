/** What the exit reaper child needs: where dockerode is, how to reach the engine, whose containers. */
export interface RemoveContainersChildArgs {
  /** Absolute path of dockerode's CommonJS entry. */
  dockerode: string;
  /** `new Docker(target)`; `undefined`: from the environment (DOCKER_HOST, DOCKER_TLS_VERIFY, ...). */
  target?: { socketPath: string } | { host: string; port?: number | string; protocol: 'http' };
  /** `label` filters selecting the dead owner's containers (or services). */
  filters: string[];
  /** Remove the owner's swarm services (this engine is a manager) instead of its containers. */
  services?: boolean;
  /** Pauses before each pass: a create still in flight when the owner died lands a bit later. */
  passesAfterMs: number[];
}

/**
 * The body of the detached child that removes an exiting process's containers or swarm services (RxJS teardown
 * and Docker calls are async; an exit hook can only start this). It runs as `node -e` from its
 * own source text, so it is self-contained CommonJS: no imports, no closure. Every error is
 * swallowed: what it misses, `reapOrphans()` removes later.
 */
export function removeContainersChild(args: RemoveContainersChildArgs): void {
  const Docker = require(args.dockerode) as typeof import('dockerode');
  const docker = new Docker(args.target);
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const pass = async (): Promise<void> => {
    if (args.services) {
      // The swarm removes a removed service's task containers itself.
      const services = await docker.listServices({ filters: { label: args.filters } });
      await Promise.all(services.map((s) => docker.getService(s.ID).remove().catch(() => undefined)));
      return;
    }
    const containers = await docker.listContainers({ all: true, filters: { label: args.filters } });
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  };
  void (async () => {
    for (const delay of args.passesAfterMs) {
      await sleep(delay);
      await pass().catch(() => undefined);
    }
  })().finally(() => process.exit(0));
}
