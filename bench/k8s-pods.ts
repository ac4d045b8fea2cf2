import { CoreV1Api } from '@kubernetes/client-node';
import { switchMap, take, tap, type ObservedValueOf, type Subscription } from 'rxjs';
import { envPool } from '../src/fleet/env-pool.js';
import { fromKubernetesPod } from '../src/runtime/kubernetes/from-kubernetes-pod.js';
import { awaitRuntimeTeardowns } from '../src/runtime/teardown-registry.js';
import { onCleanup } from './cleanup.js';
import { Echo } from './echo-env.js';
import { interleaved } from './interleaved.js';
import { barePodToFirstReset } from './k8s-bare-pod.js';
import { k8sBench, type K8sBench } from './k8s-cluster.js';
import { notRun, type BenchConfig, type Row, type SectionResult } from './section-result.js';
import { fleetRow, poolRun, sequentialRun, type UpDownRun } from './pool-run.js';
import { median, medianPairedRatio, round, timesAsSamples } from './stats.js';

/** The baseline polls /health this often: about as tight as a hand-written loop goes. */
const BARE_POLL_MS = 20;
const START_TARGET = 1.1;
const REMOVE_TARGET = 1.2;
const POOL_SIZE = 8;

/** Up: subscribe (or create) → first reset result; down: unsubscribe (or delete) → the pod gone from the API server. */
type Run = UpDownRun;

type EchoSession = ObservedValueOf<ReturnType<typeof Echo.connect>>;

const podOptions = (k: K8sBench) => ({ kubeConfig: k.kubeConfig, namespace: k.namespace, imagePullPolicy: 'Never' as const, startTimeoutMs: 120_000 });

/** The pods the sessions of `k` run on, as openenv-rx names them. */
const pod$ = (k: K8sBench) => fromKubernetesPod(k.image, podOptions(k));

/**
 * openenv-rx: subscribe to `Echo.fromEndpoint(fromKubernetesPod(image))` → first reset result;
 * then unsubscribe and time until `awaitRuntimeTeardowns()` resolves (the runtime has seen the
 * pod gone), confirmed by a read answering 404.
 */
async function rxRun(k: K8sBench): Promise<Run> {
  let podName = '';
  let subscription: Subscription | undefined;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const endpoint$ = pod$(k).pipe(tap((endpoint) => (podName = endpoint.podName)));
    subscription = Echo.fromEndpoint(endpoint$, { transport: 'ws' })
      .pipe(
        switchMap((env) => env.reset()),
        take(1),
      )
      .subscribe({ next: () => resolve(), error: reject });
  });
  const upMs = performance.now() - started;
  const close = onCleanup(() => subscription?.unsubscribe());
  const downFrom = performance.now();
  await close();
  await awaitRuntimeTeardowns();
  const downMs = performance.now() - downFrom;
  const gone = await k.kubeConfig
    .makeApiClient(CoreV1Api)
    .readNamespacedPod({ name: podName, namespace: k.namespace })
    .then(
      () => false,
      (error: { code?: number }) => error.code === 404,
    );
  if (!gone) throw new Error(`pod ${podName} still there after the teardown`);
  return { upMs, downMs };
}

async function bareRun(k: K8sBench): Promise<Run> {
  const started = performance.now();
  const pod = await barePodToFirstReset(k.kubeConfig, k.namespace, k.image, BARE_POLL_MS);
  const upMs = performance.now() - started;
  const downFrom = performance.now();
  await pod.remove();
  return { upMs, downMs: performance.now() - downFrom };
}

const pairedRatio = (subject: number[], baseline: number[]): number => medianPairedRatio(timesAsSamples(subject), timesAsSamples(baseline));
const rounds = (config: BenchConfig): number => (config.smoke ? config.containerRounds : config.containerRounds * 2);

let measured: Promise<{ k: K8sBench; bare: Run[]; rx: Run[] } | string> | undefined;

/** The start and removal runs, measured once for both sections (they come from the same pods). */
function startAndRemoval(config: BenchConfig): Promise<{ k: K8sBench; bare: Run[]; rx: Run[] } | string> {
  measured ??= (async () => {
    const k = await k8sBench(config.smoke);
    if (typeof k === 'string') return k;
    return { k, ...(await interleaved({ bare: () => bareRun(k), rx: () => rxRun(k) }, rounds(config))) };
  })();
  return measured;
}

const loadedNote = 'Indicative only: one shared 2-core machine runs the API server, etcd, the kubelet, containerd and the pods beside other checkouts\' tests.';

/** Section `k8s-start`: subscribe → first reset on a pod, against bare client-node create + watch + /health + reset. */
export async function k8sStart(config: BenchConfig): Promise<SectionResult> {
  const id = 'k8s-start';
  const title = 'Kubernetes pod: subscribe → first reset';
  const result = await startAndRemoval(config);
  if (typeof result === 'string') return notRun(id, title, 'skipped', result);
  const ups = (runs: Run[]) => runs.map((r) => r.upMs);
  const ratio = pairedRatio(ups(result.rx), ups(result.bare));
  return {
    id,
    title,
    status: 'ok',
    baseline: `bare @kubernetes/client-node createNamespacedPod + watch until Running + /health every ${BARE_POLL_MS} ms on the pod IP + one /ws reset`,
    ratio: round(ratio),
    target: START_TARGET,
    met: ratio <= START_TARGET,
    rows: [
      { client: 'bare client-node (baseline)', 'subscribe → first reset ms': round(median(ups(result.bare))), 'vs bare': 1 },
      { client: 'openenv-rx Echo.fromEndpoint(fromKubernetesPod(image)), defaults (headline)', 'subscribe → first reset ms': round(median(ups(result.rx))), 'vs bare': round(ratio) },
    ],
    notes: [
      result.k.imageNote,
      `${rounds(config)} interleaved starts per contender after one warm-up each; times are medians, the ratio the median of the per-round ratios.`,
      'openenv-rx also validates its options, watches for typed failures (image, crash, scheduling, eviction) and decides between the pod IP and a port-forward.',
      loadedNote,
    ],
  };
}

/** Section `k8s-remove`: unsubscribe → pod gone, against bare delete + watch until DELETED. */
export async function k8sRemove(config: BenchConfig): Promise<SectionResult> {
  const id = 'k8s-remove';
  const title = 'Kubernetes pod: unsubscribe → pod gone';
  const result = await startAndRemoval(config);
  if (typeof result === 'string') return notRun(id, title, 'skipped', result);
  const downs = (runs: Run[]) => runs.map((r) => r.downMs);
  const ratio = pairedRatio(downs(result.rx), downs(result.bare));
  return {
    id,
    title,
    status: 'ok',
    baseline: 'bare @kubernetes/client-node deleteNamespacedPod (grace 1 s) + watch until DELETED',
    ratio: round(ratio),
    target: REMOVE_TARGET,
    met: ratio <= REMOVE_TARGET,
    rows: [
      { client: 'bare client-node (baseline)', 'unsubscribe → pod gone ms': round(median(downs(result.bare))), 'vs bare': 1 },
      { client: 'openenv-rx fromKubernetesPod, defaults (headline)', 'unsubscribe → pod gone ms': round(median(downs(result.rx))), 'vs bare': round(ratio) },
    ],
    notes: [
      'Same pods as the start section. Both sides delete with a 1 s grace (openenv-rx\'s default deleteGraceSeconds); the server exits on SIGTERM well within it.',
      'openenv-rx: unsubscribe → `awaitRuntimeTeardowns()` resolved (the runtime saw the pod gone), confirmed by a read answering 404.',
      loadedNote,
    ],
  };
}

/** Section `k8s-pool`: a pool of 8 pods cold-started in parallel against 8 sequential starts (a ratio, no target). */
export async function k8sPool(config: BenchConfig): Promise<SectionResult> {
  const id = 'k8s-pool';
  const title = `envPool of ${POOL_SIZE} pod sessions: cold start vs ${POOL_SIZE} sequential starts`;
  const k = await k8sBench(config.smoke);
  if (typeof k === 'string') return notRun(id, title, 'skipped', k);
  const session$ = () => Echo.fromEndpoint(pod$(k), { transport: 'ws' });
  const poolRounds = config.smoke ? 1 : Math.max(2, Math.ceil(config.containerRounds / 2));
  const contenders = {
    sequential: () => sequentialRun(() => session$().pipe(switchMap((env) => env.reset())), POOL_SIZE),
    pool: () => poolRun(envPool<EchoSession>(session$(), { size: POOL_SIZE }), POOL_SIZE),
  };
  // No warm-up round: a round already starts 2 × POOL_SIZE pods on the one node.
  const runs = await interleaved(contenders, poolRounds, { warmUp: false });
  const ratio = pairedRatio(runs.pool.map((r) => r.upMs), runs.sequential.map((r) => r.upMs));
  const row = (what: string, name: keyof typeof runs): Row => fleetRow(runs, name, what);
  return {
    id,
    title,
    status: 'ok',
    baseline: `${POOL_SIZE} Echo.fromEndpoint(fromKubernetesPod(image)) started one after another, each to its first reset`,
    ratio: round(ratio),
    rows: [row(`${POOL_SIZE} sequential pod starts (baseline)`, 'sequential'), row(`envPool(Echo.fromEndpoint(fromKubernetesPod(image)), { size: ${POOL_SIZE} }) (headline)`, 'pool')],
    notes: [
      k.imageNote,
      `${poolRounds} interleaved round(s); times are medians, the ratio the median of the per-round ratios. No target: on one node the kubelet starts the ${POOL_SIZE} sandboxes and servers on the same 2 cores.`,
      loadedNote,
    ],
  };
}
