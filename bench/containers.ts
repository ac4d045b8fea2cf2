import Docker from 'dockerode';
import { switchMap, take, type Subscription } from 'rxjs';
import type { DockerEndpointOptions } from '../src/runtime/docker/docker-endpoint-options.js';
import { bareContainerToFirstReset, containerGone } from './bare-container.js';
import { onCleanup } from './cleanup.js';
import { Echo } from './echo-env.js';
import { interleaved } from './interleaved.js';
import type { UpDownRun } from './pool-run.js';
import type { BenchConfig, SectionResult } from './section-result.js';
import { median, round } from './stats.js';
import { testImage, type TestImage } from './test-image.js';

const TARGET = 1.1;
/** Default teardown (forced removal) against a bare `docker rm -f`. */
const TEARDOWN_TARGET = 1.2;
/** The baseline polls /health this often: about as tight as a hand-written loop goes. */
const BARE_POLL_MS = 20;
/** The graceful stop measured next to the default: `docker stop -t 2` first. */
const GRACE_S = 2;

/** Up: subscribe (or create) → first reset result; down: unsubscribe (or remove) → container removed. */
type Run = UpDownRun;

/**
 * openenv-rx: subscribe to `fromDockerImage(image)` → first reset result; then unsubscribe and
 * time until the runtime reports the container removed (`onStopped`), confirmed by `inspect` 404.
 */
async function rxRun(docker: Docker, image: string, extra: Pick<DockerEndpointOptions, 'healthIntervalMs' | 'stopGraceS'> = {}): Promise<Run> {
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
      ...extra,
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

/** Bare dockerode: create + start + health + one reset, then `docker rm -f` (graceS 0) or stop + rm. */
async function bareRun(docker: Docker, image: string, graceS = 0): Promise<Run> {
  const started = performance.now();
  const container = await bareContainerToFirstReset(docker, image, BARE_POLL_MS);
  const upMs = performance.now() - started;
  const downFrom = performance.now();
  await container.remove(graceS);
  return { upMs, downMs: performance.now() - downFrom };
}

async function engineOrSkip(id: string, title: string): Promise<Docker | SectionResult> {
  const docker = new Docker();
  try {
    await docker.ping();
    return docker;
  } catch (error) {
    const reason = `Docker engine unreachable (${error instanceof Error ? error.message : String(error)})`;
    return { id, title, status: 'skipped', reason, rows: [], notes: [] };
  }
}

const imageNote = (image: TestImage): string =>
  `Image ${image.tag} (${image.variant === 'server' ? 'full server image: our built-in echo over dist/' : 'fixture echo server'}${image.fallbackReason ? `; the full image failed: ${image.fallbackReason}` : ''}).`;

/**
 * Section 4: a container from subscribe to the first reset result, openenv-rx
 * (`Echo.fromDockerImage(image)`, defaults; and with the baseline's 20 ms health poll) against
 * bare dockerode create + start + inspect + /health poll + one `/ws` reset; then unsubscribe →
 * container gone. Starts are interleaved; one warm-up start of each is discarded.
 */
export async function containers(config: BenchConfig): Promise<SectionResult> {
  const id = 'containers';
  const title = 'Containers: subscribe → first reset, unsubscribe → gone';
  const docker = await engineOrSkip(id, title);
  if (!(docker instanceof Docker)) return docker;
  const image = await testImage(config.smoke);
  const runs = await interleaved(
    {
      bare: () => bareRun(docker, image.tag),
      rx: () => rxRun(docker, image.tag),
      rxFastPoll: () => rxRun(docker, image.tag, { healthIntervalMs: BARE_POLL_MS }),
    },
    config.containerRounds,
  );
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
      row('bare dockerode (baseline), rm -f', 'bare'),
      row('openenv-rx fromDockerImage, defaults (headline)', 'rx'),
      row(`openenv-rx fromDockerImage, healthIntervalMs ${BARE_POLL_MS}`, 'rxFastPoll'),
    ],
    notes: [
      imageNote(image),
      `${config.containerRounds} interleaved starts per contender after one warm-up each; medians.`,
      'Gone = openenv-rx `onStopped` (container removed), confirmed by `inspect` answering 404; bare: `remove({force: true})` resolved. The teardown section compares removals alone.',
    ],
  };
}

/**
 * Section: unsubscribe → container gone. openenv-rx's default teardown (the session's socket
 * closed, then a forced removal) and its graceful option (`stopGraceS: 2`: `docker stop -t 2`,
 * then remove) against a bare dockerode `remove({force: true})` (= `docker rm -f`) of a container
 * started the same way. Interleaved; one warm-up each.
 */
export async function teardown(config: BenchConfig): Promise<SectionResult> {
  const id = 'teardown';
  const title = 'Teardown: unsubscribe → container gone';
  const docker = await engineOrSkip(id, title);
  if (!(docker instanceof Docker)) return docker;
  const image = await testImage(config.smoke);
  const rounds = Math.max(config.containerRounds, config.smoke ? 1 : 7);
  const runs = await interleaved(
    {
      bare: () => bareRun(docker, image.tag, 0),
      rx: () => rxRun(docker, image.tag),
      rxGraceful: () => rxRun(docker, image.tag, { stopGraceS: GRACE_S }),
    },
    rounds,
  );
  const down = (name: keyof typeof runs) => median(runs[name].map((r) => r.downMs));
  const ratio = down('rx') / down('bare');
  const row = (client: string, name: keyof typeof runs) => ({ client, 'unsubscribe → gone ms': round(down(name)), 'vs bare rm -f': round(down(name) / down('bare')) });
  return {
    id,
    title,
    status: 'ok',
    baseline: 'bare dockerode remove({force: true}) (docker rm -f) of a container serving one /ws reset',
    ratio: round(ratio),
    target: TEARDOWN_TARGET,
    met: ratio <= TEARDOWN_TARGET,
    rows: [
      row('bare dockerode rm -f (baseline)', 'bare'),
      row('openenv-rx default: close the socket, then rm -f (headline)', 'rx'),
      row(`openenv-rx stopGraceS ${GRACE_S}: docker stop -t ${GRACE_S}, then rm`, 'rxGraceful'),
    ],
    notes: [
      imageNote(image),
      `${rounds} interleaved removals per contender after one warm-up each; medians. openenv-rx: unsubscribe → onStopped (removal resolved), confirmed by inspect 404.`,
      'The graceful row depends on how fast the server exits on SIGTERM (the test servers exit at once; a server that ignores SIGTERM as PID 1 waits the whole grace).',
    ],
  };
}

