import { switchMap } from 'rxjs';
import { envPool } from '../src/fleet/env-pool.js';
import { perSwarmService } from '../src/fleet/per-swarm-service.js';
import { Echo } from './echo-env.js';
import { interleaved } from './interleaved.js';
import { notRun, type BenchConfig, type Row, type SectionResult } from './section-result.js';
import { medianPairedRatio, round, timesAsSamples } from './stats.js';
import { swarmManager } from './swarm.js';
import { testImage } from './test-image.js';
import { fleetRow, poolRun, sequentialRun, type UpDownRun } from './pool-run.js';

const SIZE = 4;

/**
 * Section `swarm-pool`: the cold start of a pool of 4 swarm sessions (subscribe → all 4 confirmed
 * by a first reset) against 4 `fromSwarmService` starts one after another (subscribe → first
 * reset each); with the full server image also 4 sessions packed onto one service
 * (`perSwarmService`, `sessionsPerServer: 4`). Interleaved rounds; ratios are medians of per-round ratios.
 */
export async function swarmPool(config: BenchConfig): Promise<SectionResult> {
  const id = 'swarm-pool';
  const title = `envPool of ${SIZE} swarm sessions: cold start vs ${SIZE} sequential starts`;
  const docker = await swarmManager();
  if (typeof docker === 'string') return notRun(id, title, 'skipped', docker);
  const image = await testImage(config.smoke);
  const packs = image.variant === 'server';
  const contenders: Record<string, () => Promise<UpDownRun>> = {
    sequential: () => sequentialRun(() => Echo.fromSwarmService(image.tag, { transport: 'ws' }).pipe(switchMap((env) => env.reset())), SIZE),
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
  const rounds = config.smoke ? 1 : config.containerRounds;
  const runs = await interleaved(contenders, rounds);
  const ups = (name: string) => runs[name]!.map((r) => r.upMs);
  const ratio = medianPairedRatio(timesAsSamples(ups('pool')), timesAsSamples(ups('sequential')));
  const row = (what: string, name: string): Row => fleetRow(runs, name, what);
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
