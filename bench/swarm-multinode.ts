import { readFile } from 'node:fs/promises';
import Docker from 'dockerode';
import { envPool } from '../src/fleet/env-pool.js';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { Echo } from './echo-env.js';
import { poolRun, type UpDownRun } from './pool-run.js';
import { notRun, type BenchConfig, type Row, type SectionResult } from './section-result.js';
import { median, medianPairedRatio, round, timesAsSamples } from './stats.js';

/** The three-node swarm of scripts/multinode-swarm.sh: its manager's socket and the images it loaded. */
const MANAGER_SOCKET = '/run/openenv-rx-mn/node1.sock';
const IMAGES_FILE = '/run/openenv-rx-mn/images';

/**
 * Section `swarm-multinode`: N services started at once (an `envPool` of N `fromSwarmService`
 * sessions) on the three-node swarm, spread over the three nodes (`preferences: ['node.id']`)
 * against all constrained to one node: time to all ready, sessions made ready per second, time
 * to all removed. Runs only when `scripts/multinode-swarm.sh up` has started the cluster.
 */
export async function swarmMultinode(config: BenchConfig): Promise<SectionResult> {
  const id = 'swarm-multinode';
  const title = 'Swarm services started in parallel: three nodes vs one node';
  const docker = new Docker({ socketPath: MANAGER_SOCKET });
  let nodes: Array<{ ID: string; Description?: { Hostname?: string }; Status?: { State?: string } }>;
  let image: string | undefined;
  try {
    nodes = (await docker.listNodes()) as typeof nodes;
    image = (await readFile(IMAGES_FILE, 'utf8')).trim().split(/\s+/).find((t) => t.startsWith('openenv-rx-server:'));
  } catch (error) {
    return notRun(id, title, 'skipped', `no multi-node swarm (scripts/multinode-swarm.sh up): ${error instanceof Error ? error.message : String(error)}`);
  }
  const ready = nodes.filter((n) => n.Status?.State === 'ready');
  if (ready.length < 3 || !image) return notRun(id, title, 'skipped', `the multi-node swarm has ${ready.length} ready nodes and image ${image ?? 'none'}`);
  const oneNode = ready.map((n) => n.Description?.Hostname ?? '').sort()[1]!; // a worker

  const size = config.smoke ? 3 : 12;
  const source = (placement: { constraints?: string[]; preferences?: string[] }) =>
    envPool(Echo.fromSwarmService(image!, { docker, transport: 'ws', env: { OPENENV_ENV: 'echo' }, startTimeoutMs: 120_000, ...placement }), { size });
  const contenders: Record<string, () => Promise<UpDownRun>> = {
    one: () => poolRun(source({ constraints: [`node.hostname==${oneNode}`] }), size),
    three: () => poolRun(source({ preferences: ['node.id'] }), size),
  };
  const names = Object.keys(contenders);
  const runs: Record<string, UpDownRun[]> = Object.fromEntries(names.map((n) => [n, []]));
  const rounds = config.smoke ? 1 : 3;
  try {
    if (!config.smoke) for (const name of names) await contenders[name]!(); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 === 0 ? names : [...names].reverse()) runs[name]!.push(await contenders[name]!());
    }
  } finally {
    await awaitRuntimeTeardowns();
  }
  const ups = (name: string) => runs[name]!.map((r) => r.upMs);
  const row = (what: string, name: string): Row => ({
    what,
    'all ready ms': round(median(ups(name))),
    'sessions/s': round((size * 1000) / median(ups(name))),
    'vs one node': round(medianPairedRatio(timesAsSamples(ups(name)), timesAsSamples(ups('one')))),
    'all removed ms': round(median(runs[name]!.map((r) => r.downMs))),
  });
  return {
    id,
    title,
    status: 'ok',
    baseline: `envPool of ${size} fromSwarmService sessions, all constrained to one node (${oneNode})`,
    ratio: round(medianPairedRatio(timesAsSamples(ups('three')), timesAsSamples(ups('one')))),
    rows: [row(`${size} services on one node (baseline)`, 'one'), row(`${size} services spread over 3 nodes (spread=node.id)`, 'three')],
    notes: [
      `Image ${image}; ${rounds} interleaved round(s)${config.smoke ? '' : ' after one warm-up each'}; medians, ratio the median of per-round ratios (below 1: three nodes faster).`,
      'The three nodes are dockerd engines in network namespaces of ONE machine (scripts/multinode-swarm.sh): they share its cores, so the spread gains only what per-engine serialisation costs (container create/start, port allocation, docker-proxy), not CPU.',
    ],
  };
}
