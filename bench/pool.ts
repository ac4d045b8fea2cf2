import Docker from 'dockerode';
import type { Subscription } from 'rxjs';
import { envPool } from '../src/fleet/env-pool.js';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { bareContainerToFirstReset, type BareContainer } from './bare-container.js';
import { BUILTIN_SERVER, startChildServer } from './child-server.js';
import { Echo } from './echo-env.js';
import { holdFirst } from './hold-first.js';
import type { BenchConfig, Row, SectionResult } from './section-result.js';
import { percentile, round } from './stats.js';
import { testImage } from './test-image.js';

const CLAIM_BUDGET_MS = 50;
const BARE_POLL_MS = 20;
const GRACE_S = 2;

/** Time (ms) from subscribing `session$` to its emission; the subscription is closed right after. */
function timeToSession<S>(subscribe: (next: (s: S) => void) => Subscription): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    let at = 0;
    let subscription: Subscription | undefined;
    let served = false;
    subscription = subscribe(() => {
      at = performance.now() - started;
      served = true;
      subscription?.unsubscribe();
      resolve(at);
    });
    if (served) subscription.unsubscribe();
  });
}

/** Warm claims (a free session in the pool) against cold connects to the same server process. */
async function warmClaims(config: BenchConfig): Promise<Row[]> {
  const server = await startChildServer(BUILTIN_SERVER, ['echo'], { MAX_CONCURRENT_ENVS: '8' });
  try {
    const { value: pool, close } = await holdFirst(envPool(Echo.connect(server.url, { transport: 'ws' }), { size: 4 }));
    const n = config.smoke ? 200 : 5_000;
    const warm = new Float64Array(n);
    const cold = new Float64Array(Math.min(n, config.smoke ? 50 : 500));
    try {
      for (let i = 0; i < n; i++) warm[i] = await timeToSession((next) => pool.session().subscribe(next));
      for (let i = 0; i < cold.length; i++) cold[i] = await timeToSession((next) => Echo.connect(server.url, { transport: 'ws' }).subscribe(next));
    } finally {
      await close();
    }
    const row = (what: string, values: Float64Array): Row => ({
      what,
      samples: values.length,
      'p50 ms': round(percentile(values, 50)),
      'p95 ms': round(percentile(values, 95)),
      'p99 ms': round(percentile(values, 99)),
    });
    return [row('warm claim: pool.session() → session emitted (headline)', warm), row('cold: Echo.connect(url) → session emitted (baseline)', cold)];
  } finally {
    await server.stop();
  }
}

/** A pool of `size` containers (one session each) from subscribe to emitted, vs `size` bare starts one after another. */
async function coldContainers(config: BenchConfig, docker: Docker, size: number) {
  const image = await testImage(config.smoke);
  // Warm-up (image cache, first-use code paths) for both, not measured.
  await (await bareContainerToFirstReset(docker, image.tag, BARE_POLL_MS)).remove(GRACE_S);
  let started = performance.now();
  const { value: pool, close } = await holdFirst(envPool(Echo.fromDockerImage(image.tag, { transport: 'ws' }), { size }));
  const poolMs = performance.now() - started;
  const stats = pool.stats();
  started = performance.now();
  await close();
  await awaitRuntimeTeardowns();
  const poolDownMs = performance.now() - started;

  started = performance.now();
  const bare: BareContainer[] = [];
  for (let i = 0; i < size; i++) bare.push(await bareContainerToFirstReset(docker, image.tag, BARE_POLL_MS));
  const bareMs = performance.now() - started;
  started = performance.now();
  for (const container of bare) await container.remove(GRACE_S);
  const bareDownMs = performance.now() - started;
  if (stats.size !== size) throw new Error(`the pool held ${stats.size} sessions, not ${size}`);
  return { image, poolMs, poolDownMs, bareMs, bareDownMs };
}

/**
 * Section `pool`: a warm claim (subscribe to `pool.session()` with a free session in the pool →
 * session emitted; p95 must stay under 50 ms), with a cold `connect()` as the reference; and the
 * cold start of a pool of 8 Docker containers (subscribe → every session confirmed by its first
 * reset) against 8 bare starts one after another (create + start + /health + one reset each).
 */
export async function poolSection(config: BenchConfig): Promise<SectionResult> {
  const rows = await warmClaims(config);
  const warmP95 = rows[0]!['p95 ms'] as number;
  const notes = [
    `Headline: warm-claim p95 / the ${CLAIM_BUDGET_MS} ms budget (target ≤ 1). Claims are sequential: claim, emitted, returned.`,
  ];
  const docker = new Docker();
  const size = config.smoke ? 2 : 8;
  try {
    await docker.ping();
    const c = await coldContainers(config, docker, size);
    rows.push(
      { what: `pool of ${size} containers: subscribe → all ${size} confirmed`, 'total ms': round(c.poolMs), 'vs bare': round(c.poolMs / c.bareMs), 'teardown ms': round(c.poolDownMs) },
      { what: `${size} bare starts one after another (baseline)`, 'total ms': round(c.bareMs), 'vs bare': 1, 'teardown ms': round(c.bareDownMs) },
    );
    notes.push(
      `Containers: image ${c.image.tag} (${c.image.variant}); one start of each kind as warm-up; one measured run each. Bare: dockerode create + start + /health every ${BARE_POLL_MS} ms + one /ws reset; teardown stop (grace ${GRACE_S} s) + rm, one after another.`,
    );
  } catch (error) {
    notes.push(`Containers not measured: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    id: 'pool',
    title: 'envPool: warm claim, cold start of a container pool',
    status: 'ok',
    baseline: `the ${CLAIM_BUDGET_MS} ms warm-claim budget (ratio = p95 / budget)`,
    ratio: round(warmP95 / CLAIM_BUDGET_MS),
    target: 1,
    met: warmP95 < CLAIM_BUDGET_MS,
    rows,
    notes,
  };
}
