import Docker from 'dockerode';
import { switchMap } from 'rxjs';
import { envPool } from '../src/fleet/env-pool.js';
import { perSwarmService } from '../src/fleet/per-swarm-service.js';
import { isSwarmManager } from '../src/runtime/swarm/swarm-manager.js';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { Echo } from './echo-env.js';
import { holdFirst, type Held } from './hold-first.js';
import { notRun, type BenchConfig, type Row, type SectionResult } from './section-result.js';
import { median, medianPairedRatio, round, timesAsSamples } from './stats.js';
import { testImage } from './test-image.js';
import { poolRun, type UpDownRun } from './pool-run.js';

const SIZE = 4;

/** `SIZE` sessions started one after another, each up to its first reset, all held, then all closed. */
async function sequentialRun(image: string): Promise<UpDownRun> {
  let started = performance.now();
  const held: Array<Held<unknown>> = [];
  try {
    for (let i = 0; i < SIZE; i++) {
      const h = await holdFirst(Echo.fromSwarmService(image, { transport: 'ws' }).pipe(switchMap((env) => env.reset())));
      held.push(h);
    }
  } catch (error) {
    await Promise.all(held.map((h) => h.close()));
    throw error;
  }
  const upMs = performance.now() - started;
  started = performance.now();
  await Promise.all(held.map((h) => h.close()));
  await awaitRuntimeTeardowns();
  return { upMs, downMs: performance.now() - started };
}

/**
 * Section `swarm-pool`: the cold start of a pool of 4 swarm sessions (subscribe → all 4 confirmed
 * by a first reset) against 4 `fromSwarmService` starts one after another (subscribe → first
 * reset each); with the full server image also 4 sessions packed onto one service
 * (`perSwarmService`, `sessionsPerServer: 4`). Interleaved rounds; ratios are medians of per-round ratios.
 */
export async function swarmPool(config: BenchConfig): Promise<SectionResult> {
  const id = 'swarm-pool';
  const title = `envPool of ${SIZE} swarm sessions: cold start vs ${SIZE} sequential starts`;
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    return notRun(id, title, 'skipped', `Docker engine unreachable (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!(await isSwarmManager(docker))) return notRun(id, title, 'skipped', 'the engine is not a swarm manager (docker swarm init --advertise-addr 127.0.0.1)');
  const image = await testImage(config.smoke);
  const packs = image.variant === 'server';
  const contenders: Record<string, () => Promise<UpDownRun>> = {
    sequential: () => sequentialRun(image.tag),
    pool: () => poolRun(envPool(Echo.fromSwarmService(image.tag, { transport: 'ws' }), { size: SIZE }), SIZE),
    ...(packs && {
      packed: () =>
        poolRun(
          envPool(perSwarmService(Echo, image.tag, { transport: 'ws', env: { OPENENV_ENV: 'echo', MAX_CONCURRENT_ENVS: String(SIZE) } }), {
            size: SIZE,
            sessionsPerServer: SIZE,
          }),
          SIZE,
        ),
    }),
  };
  const names = Object.keys(contenders);
  const runs: Record<string, UpDownRun[]> = Object.fromEntries(names.map((n) => [n, []]));
  const rounds = config.smoke ? 1 : config.containerRounds;
  try {
    for (const name of names) await contenders[name]!(); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 === 0 ? names : [...names].reverse()) runs[name]!.push(await contenders[name]!());
    }
  } finally {
    await awaitRuntimeTeardowns();
  }
  const ups = (name: string) => runs[name]!.map((r) => r.upMs);
  const downs = (name: string) => runs[name]!.map((r) => r.downMs);
  const ratio = medianPairedRatio(timesAsSamples(ups('pool')), timesAsSamples(ups('sequential')));
  const row = (what: string, name: string): Row => ({
    what,
    'ready ms': round(median(ups(name))),
    'vs sequential': round(medianPairedRatio(timesAsSamples(ups(name)), timesAsSamples(ups('sequential')))),
    'all removed ms': round(median(downs(name))),
  });
  return {
    id,
    title,
    status: 'ok',
    baseline: `${SIZE} Echo.fromSwarmService(image) started one after another, each to its first reset`,
    ratio: round(ratio),
    rows: [
      row(`${SIZE} sequential fromSwarmService starts (baseline)`, 'sequential'),
      row(`envPool(Echo.fromSwarmService(image), { size: ${SIZE} }): ${SIZE} services (headline)`, 'pool'),
      ...(packs ? [row(`envPool(perSwarmService(Echo, image), { size: ${SIZE}, sessionsPerServer: ${SIZE} }): 1 service`, 'packed')] : []),
    ],
    notes: [
      `Image ${image.tag} (${image.variant}); one warm-up each, then ${rounds} interleaved round(s); times are medians, ratios the median of the per-round ratios.`,
      'The pool starts its sessions at once and emits when all are confirmed by a first reset; the Swarm scheduler places each service (one node here). Removal: unsubscribe → every task container gone.',
      ...(packs ? [] : ['Packed row not measured: the fixture image does not read MAX_CONCURRENT_ENVS.']),
    ],
  };
}
