import Docker from 'dockerode';
import { firstValueFrom, switchMap, take, type Subscription } from 'rxjs';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { bareContainerToFirstReset, containerGone } from './bare-container.js';
import { onCleanup } from './cleanup.js';
import { Echo } from './echo-env.js';
import type { BenchConfig, SectionResult } from './section-result.js';
import { median, round } from './stats.js';
import { testImage } from './test-image.js';

const TARGET = 1.1;
/** The baseline polls /health this often: about as tight as a hand-written loop goes. */
const BARE_POLL_MS = 20;
/** openenv-rx's stop grace once healthy (`stopGraceS` default); the baseline stops with the same. */
const GRACE_S = 2;

interface Run {
  /** Subscribe (or create) → first reset result, ms. */
  upMs: number;
  /** Unsubscribe (or stop) → container removed, ms. */
  downMs: number;
}

/**
 * openenv-rx: subscribe to `fromDockerImage(image)` → first reset result; then unsubscribe and
 * time until the runtime reports the container removed (`onStopped`), confirmed by `inspect` 404.
 */
async function rxRun(docker: Docker, image: string, healthIntervalMs?: number): Promise<Run> {
  let stoppedAt = 0;
  let upMs = 0;
  let downFrom = 0;
  let failure: unknown;
  let containerId: string | undefined;
  const removed = new Promise<void>((resolve) => {
    const started = performance.now();
    let subscription: Subscription | undefined;
    const cleanup = onCleanup(() => subscription?.unsubscribe());
    const options = {
      transport: 'ws' as const,
      ...(healthIntervalMs !== undefined && { healthIntervalMs }),
      onStopped: (info: { containerId?: string }) => {
        containerId = info.containerId;
        stoppedAt = performance.now();
        void cleanup();
        resolve();
      },
    };
    const firstReset = Echo.fromDockerImage(image, options).pipe(
      switchMap((env) => env.reset()),
      take(1),
    );
    subscription = firstReset.subscribe({
      next: () => {
        upMs = performance.now() - started;
        downFrom = performance.now();
      },
      error: (error: unknown) => (failure = error),
    });
  });
  await removed;
  if (failure) throw failure;
  if (containerId) {
    const gone = await containerGone(docker, containerId);
    if (!gone) throw new Error(`container ${containerId} still exists after onStopped`);
  }
  return { upMs, downMs: stoppedAt - downFrom };
}

async function bareRun(docker: Docker, image: string): Promise<Run> {
  const started = performance.now();
  const container = await bareContainerToFirstReset(docker, image, BARE_POLL_MS);
  const upMs = performance.now() - started;
  const downFrom = performance.now();
  await container.remove(GRACE_S);
  return { upMs, downMs: performance.now() - downFrom };
}

/**
 * Section 4: a container from subscribe to the first reset result, openenv-rx
 * (`Echo.fromDockerImage(image)`, defaults; and with the baseline's 20 ms health poll) against
 * bare dockerode create + start + inspect + /health poll + one `/ws` reset; then unsubscribe →
 * container gone. Starts are interleaved; one warm-up start of each is discarded.
 */
export async function containers(config: BenchConfig): Promise<SectionResult> {
  const id = 'containers';
  const title = 'Containers: subscribe → first reset, unsubscribe → gone';
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    const reason = `Docker engine unreachable (${error instanceof Error ? error.message : String(error)})`;
    return { id, title, status: 'skipped', reason, rows: [], notes: [] };
  }
  const image = await testImage(config.smoke);
  const runs = { bare: [] as Run[], rx: [] as Run[], rxFastPoll: [] as Run[] };
  const contenders = {
    bare: () => bareRun(docker, image.tag),
    rx: () => rxRun(docker, image.tag),
    rxFastPoll: () => rxRun(docker, image.tag, BARE_POLL_MS),
  };
  const names = Object.keys(contenders) as Array<keyof typeof contenders>;
  try {
    for (const name of names) await contenders[name](); // warm-up: image cache, first-use code paths
    for (let r = 0; r < config.containerRounds; r++) {
      for (const name of r % 2 === 0 ? names : [...names].reverse()) runs[name].push(await contenders[name]());
    }
  } finally {
    await awaitRuntimeTeardowns();
  }
  const up = (name: keyof typeof runs) => median(runs[name].map((r) => r.upMs));
  const down = (name: keyof typeof runs) => median(runs[name].map((r) => r.downMs));
  const ratio = up('rx') / up('bare');
  const row = (client: string, name: keyof typeof runs) => ({
    client,
    'subscribe → first reset ms': round(up(name)),
    'vs bare': round(up(name) / up('bare')),
    'unsubscribe → gone ms': round(down(name)),
  });
  return {
    id,
    title,
    status: 'ok',
    baseline: `bare dockerode create + start + inspect + /health every ${BARE_POLL_MS} ms + one /ws reset`,
    ratio: round(ratio),
    target: TARGET,
    met: ratio <= TARGET,
    rows: [
      row(`bare dockerode (baseline), stop grace ${GRACE_S} s + rm`, 'bare'),
      row('openenv-rx fromDockerImage, defaults (headline)', 'rx'),
      row(`openenv-rx fromDockerImage, healthIntervalMs ${BARE_POLL_MS}`, 'rxFastPoll'),
    ],
    notes: [
      `Image ${image.tag} (${image.variant === 'server' ? 'full server image: our built-in echo over dist/' : 'fixture echo server'}${image.fallbackReason ? `; the full image failed: ${image.fallbackReason}` : ''}).`,
      `${config.containerRounds} interleaved starts per contender after one warm-up each; medians.`,
      'Gone = openenv-rx `onStopped` (container stopped and removed), confirmed by `inspect` answering 404; bare: `stop` + `remove` resolved.',
    ],
  };
}
