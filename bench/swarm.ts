import Docker from 'dockerode';
import { switchMap, take, type Subscription } from 'rxjs';
import { isSwarmManager } from '../src/runtime/swarm/swarm-manager.js';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { bareServiceToFirstReset } from './bare-swarm-service.js';
import { onCleanup } from './cleanup.js';
import { Echo } from './echo-env.js';
import { interleaved } from './interleaved.js';
import type { UpDownRun } from './pool-run.js';
import { notRun, type BenchConfig, type SectionResult } from './section-result.js';
import { median, medianPairedRatio, round, timesAsSamples } from './stats.js';
import { testImage, type TestImage } from './test-image.js';

/** The baseline polls tasks, /health and the container this often: about as tight as a hand-written loop goes. */
const BARE_POLL_MS = 20;
const START_TARGET = 1.1;
const REMOVE_TARGET = 1.2;

/** Up: subscribe (or createService) → first reset result; down: unsubscribe (or service remove) → the task's container gone. */
type Run = UpDownRun;

interface Setup {
  docker: Docker;
  image: TestImage;
  /** The image ID: what `pull: 'never'` runs, and what the baseline runs too (no pull attempt on either side). */
  imageId: string;
}

/** The engine answering as a swarm manager, or why the swarm sections cannot run. */
export async function swarmManager(): Promise<Docker | string> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    return `Docker engine unreachable (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!(await isSwarmManager(docker))) return 'the engine is not a swarm manager (docker swarm init --advertise-addr 127.0.0.1)';
  return docker;
}

/** The manager and the image, or why the swarm sections cannot run. */
async function setup(config: BenchConfig): Promise<Setup | string> {
  const docker = await swarmManager();
  if (typeof docker === 'string') return docker;
  const image = await testImage(config.smoke);
  const { Id } = (await docker.getImage(image.tag).inspect()) as { Id: string };
  return { docker, image, imageId: Id };
}

/**
 * openenv-rx: subscribe to `fromSwarmService(image)` → first reset result; then unsubscribe and
 * time until the runtime reports the service removed and its container gone (`onStopped`),
 * confirmed by listing the service's containers.
 */
function rxSession(docker: Docker, image: string, options: { taskPollIntervalMs?: number; healthIntervalMs?: number } = {}) {
  let upMs = 0;
  let downFrom = 0;
  let stoppedAt = 0;
  let failure: unknown;
  let serviceId: string | undefined;
  let subscription: Subscription | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const started = performance.now();
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    subscription = Echo.fromSwarmService(image, {
      transport: 'ws',
      ...options,
      onStopped: (info) => {
        serviceId = info.serviceId;
        stoppedAt = performance.now();
        resolveStopped();
      },
    })
      .pipe(
        switchMap((env) => env.reset()),
        take(1),
      )
      .subscribe({
        next: () => {
          upMs = performance.now() - started;
          resolveReady();
        },
        error: (error: unknown) => {
          failure = error;
          rejectReady(error);
        },
      });
  });
  const cleanup = onCleanup(() => subscription?.unsubscribe());
  return {
    ready,
    /** Unsubscribes and resolves with the run once the container is gone. */
    async stop(): Promise<Run> {
      downFrom = performance.now();
      void cleanup();
      await stopped;
      if (failure) throw failure;
      const left = await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${serviceId}`] } });
      if (left.length) throw new Error(`service ${serviceId} still has ${left.length} container(s) after onStopped`);
      return { upMs, downMs: stoppedAt - downFrom };
    },
  };
}

async function rxRun(docker: Docker, image: string, options?: { taskPollIntervalMs?: number; healthIntervalMs?: number }): Promise<Run> {
  const session = rxSession(docker, image, options);
  await session.ready;
  return session.stop();
}

async function bareRun(docker: Docker, imageId: string): Promise<Run> {
  const started = performance.now();
  const service = await bareServiceToFirstReset(docker, imageId, BARE_POLL_MS);
  const upMs = performance.now() - started;
  const downFrom = performance.now();
  await service.remove();
  return { upMs, downMs: performance.now() - downFrom };
}

interface StartRemoveResult {
  setup: Setup;
  runs: { bare: Run[]; rx: Run[]; rxFastPoll: Run[] };
}

let measured: Promise<StartRemoveResult | string> | undefined;

/** Twice the container section's rounds: a swarm start varies more (scheduler, agent, two polls). */
const rounds = (config: BenchConfig): number => (config.smoke ? config.containerRounds : config.containerRounds * 2);

/** Median over rounds of subject ÷ baseline in the same round (one operation per sample): drift from other load hits both alike. */
const pairedRatio = (subject: number[], baseline: number[]): number => medianPairedRatio(timesAsSamples(subject), timesAsSamples(baseline));

/** The start and removal runs, measured once for both sections (they come from the same sessions). */
function startAndRemoval(config: BenchConfig): Promise<StartRemoveResult | string> {
  measured ??= (async () => {
    const ready = await setup(config);
    if (typeof ready === 'string') return ready;
    const { docker, image, imageId } = ready;
    const contenders = {
      bare: () => bareRun(docker, imageId),
      rx: () => rxRun(docker, image.tag),
      rxFastPoll: () => rxRun(docker, image.tag, { taskPollIntervalMs: BARE_POLL_MS, healthIntervalMs: BARE_POLL_MS }),
    };
    return { setup: ready, runs: await interleaved(contenders, rounds(config)) };
  })();
  return measured;
}

const imageNote = (image: TestImage): string =>
  `Image ${image.tag} (${image.variant === 'server' ? 'full server image: our built-in echo over dist/, token enforced' : 'fixture echo server'}${image.fallbackReason ? `; the full image failed: ${image.fallbackReason}` : ''}), run by image ID on both sides (no pull attempt).`;

/**
 * Section: a swarm service from subscribe to the first reset result, openenv-rx
 * (`Echo.fromSwarmService(image)`, defaults; and with the baseline's 20 ms polls) against bare
 * dockerode `createService` + task polling + `/health` polling + one `/ws` reset.
 */
export async function swarmStart(config: BenchConfig): Promise<SectionResult> {
  const id = 'swarm-start';
  const title = 'Swarm service: subscribe → first reset';
  const result = await startAndRemoval(config);
  if (typeof result === 'string') return notRun(id, title, 'skipped', result);
  const { runs, setup: s } = result;
  const ups = (name: keyof typeof runs) => runs[name].map((r) => r.upMs);
  const ratio = pairedRatio(ups('rx'), ups('bare'));
  const row = (client: string, name: keyof typeof runs) => ({ client, 'subscribe → first reset ms': round(median(ups(name))), 'vs bare': round(pairedRatio(ups(name), ups('bare'))) });
  return {
    id,
    title,
    status: 'ok',
    baseline: `bare dockerode createService + listTasks every ${BARE_POLL_MS} ms + getNode + /health every ${BARE_POLL_MS} ms + one /ws reset`,
    ratio: round(ratio),
    target: START_TARGET,
    met: ratio <= START_TARGET,
    rows: [
      row('bare dockerode (baseline)', 'bare'),
      row('openenv-rx fromSwarmService, defaults (headline)', 'rx'),
      row(`openenv-rx fromSwarmService, taskPollIntervalMs and healthIntervalMs ${BARE_POLL_MS}`, 'rxFastPoll'),
    ],
    notes: [
      imageNote(s.image),
      `${rounds(config)} interleaved starts per contender after one warm-up each; times are medians, ratios the median of the per-round ratios.`,
      'openenv-rx also checks the engine is a swarm manager, resolves the image ID, probes a WebSocket handshake with the token before emitting, and its session probes nothing more (transport: ws).',
    ],
  };
}

/** Section: unsubscribe → the task's container is gone, against bare `service remove` + `inspect` polling. */
export async function swarmRemove(config: BenchConfig): Promise<SectionResult> {
  const id = 'swarm-remove';
  const title = 'Swarm service: unsubscribe → container gone';
  const result = await startAndRemoval(config);
  if (typeof result === 'string') return notRun(id, title, 'skipped', result);
  const { runs } = result;
  const downs = (name: keyof typeof runs) => runs[name].map((r) => r.downMs);
  const ratio = pairedRatio(downs('rx'), downs('bare'));
  const row = (client: string, name: keyof typeof runs) => ({ client, 'unsubscribe → container gone ms': round(median(downs(name))), 'vs bare': round(pairedRatio(downs(name), downs('bare'))) });
  return {
    id,
    title,
    status: 'ok',
    baseline: `bare dockerode service remove + container inspect every ${BARE_POLL_MS} ms until 404`,
    ratio: round(ratio),
    target: REMOVE_TARGET,
    met: ratio <= REMOVE_TARGET,
    rows: [
      row('bare dockerode (baseline)', 'bare'),
      row('openenv-rx fromSwarmService, defaults (headline)', 'rx'),
      row(`openenv-rx fromSwarmService, taskPollIntervalMs ${BARE_POLL_MS}`, 'rxFastPoll'),
    ],
    notes: [
      'Same sessions as the start section. Both sides stop with a 2 s grace (the server exits on SIGTERM well within it).',
      'openenv-rx: `onStopped` fires once the task record is deleted and `wait?condition=removed` on the container returned; confirmed by listing the service\'s containers.',
    ],
  };
}

/** Section: `count` services started in parallel until every one answered its first reset. */
export async function swarmParallel(config: BenchConfig): Promise<SectionResult> {
  const id = 'swarm-parallel';
  const title = `Swarm services started in parallel: time to all ready`;
  const ready = await setup(config);
  if (typeof ready === 'string') return notRun(id, title, 'skipped', ready);
  const { docker, image, imageId } = ready;
  const count = config.smoke ? 2 : 16;
  const parallelRounds = config.smoke ? 1 : Math.max(1, Math.ceil(config.containerRounds / 2));
  const rx: number[] = [];
  const rxDown: number[] = [];
  const bare: number[] = [];
  const bareDown: number[] = [];
  try {
    for (let r = 0; r < parallelRounds; r++) {
      const rxRound = async () => {
        const started = performance.now();
        const sessions = Array.from({ length: count }, () => rxSession(docker, image.tag));
        await Promise.all(sessions.map((s) => s.ready));
        rx.push(performance.now() - started);
        const stopFrom = performance.now();
        await Promise.all(sessions.map((s) => s.stop()));
        rxDown.push(performance.now() - stopFrom);
      };
      const bareRound = async () => {
        const started = performance.now();
        const services = await Promise.all(Array.from({ length: count }, () => bareServiceToFirstReset(docker, imageId, BARE_POLL_MS)));
        bare.push(performance.now() - started);
        const stopFrom = performance.now();
        await Promise.all(services.map((s) => s.remove()));
        bareDown.push(performance.now() - stopFrom);
      };
      for (const run of r % 2 === 0 ? [rxRound, bareRound] : [bareRound, rxRound]) await run();
    }
  } finally {
    await awaitRuntimeTeardowns();
  }
  const ratio = pairedRatio(rx, bare);
  return {
    id,
    title,
    status: 'ok',
    baseline: `${count} bare dockerode services in parallel, each polling its own tasks, /health and container every ${BARE_POLL_MS} ms`,
    ratio: round(ratio),
    rows: [
      { client: `bare dockerode, ${count} in parallel`, 'all ready (first reset) ms': round(median(bare)), 'all removed ms': round(median(bareDown)), 'vs bare': 1 },
      { client: `openenv-rx fromSwarmService, ${count} in parallel (one shared task poller)`, 'all ready (first reset) ms': round(median(rx)), 'all removed ms': round(median(rxDown)), 'vs bare': round(ratio) },
    ],
    notes: [
      imageNote(image),
      `${parallelRounds} interleaved round(s) per contender; times are medians, the ratio the median of the per-round ratios. No target: the figure is the time a cluster of this size needs; on this 2-core machine ${count} node servers booting at once compete for the CPU.`,
    ],
  };
}
