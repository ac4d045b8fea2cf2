import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import {
  EMPTY,
  EmptyError,
  Observable,
  ReplaySubject,
  catchError,
  concat,
  defer,
  filter,
  first,
  from,
  lastValueFrom,
  map,
  mergeMap,
  of,
  repeat,
  retry,
  share,
  switchMap,
  takeWhile,
  tap,
  throwError,
  timeout,
  timer,
} from 'rxjs';
import { KubernetesApiError, KubernetesPodError, type ErrorContext, type KubernetesPodDetails } from '../../errors/index.js';
import type { KubernetesPodOptions } from './kubernetes-pod-options.js';
import { describePodEvents } from './pod-events.js';
import { podFailureError } from './pod-failure-error.js';
import { podManifest } from './pod-manifest.js';
import { podStatus, type PodStatus } from './pod-status.js';
import { watchPod, type PodEvent } from './pod-watch.js';

/** How many log lines a crash error carries. */
const LOG_TAIL_LINES = 30;
/** Bounds the diagnostics (events, logs) read for an error: they must not delay it much. */
const DETAILS_TIMEOUT_MS = 5_000;

type Failed = Extract<PodStatus, { kind: 'failed' | 'unschedulable' }>;

const isNotFound = (error: unknown): boolean => (error as { code?: number }).code === 404;

/** Connection errors that mean the request never reached an API server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

type CallOptions = Parameters<CoreV1Api['createNamespacedPod']>[1];

/**
 * Per-call options giving every request an abort signal: `signal` (ours) or the call's own
 * timeout, whichever comes first. The object API takes the generated client's observable-style
 * middleware: `pre` returns its promise wrapper (anything with `toPromise`, see its rxjsStub).
 */
function abortable(signal: AbortSignal, timeoutMs: number): CallOptions {
  const wrap = <T>(value: T) => ({ toPromise: () => Promise.resolve(value) });
  const options = {
    middleware: [
      {
        pre: (context: { setSignal(signal: AbortSignal): void }) => {
          context.setSignal(AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
          return wrap(context);
        },
        post: <T>(context: T) => wrap(context),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
  return options as unknown as CallOptions;
}

/** The API server's own message from an ApiException body (a Status object), else the text. */
function apiMessage(body: unknown): string {
  if (typeof body !== 'string') return (body as { message?: string } | undefined)?.message ?? '';
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}

/**
 * Any failure of an API call as `KubernetesApiError`: an ApiException carries the HTTP status
 * (numeric `code`) and a Status body; a request that never got an answer carries a system code.
 */
export function toApiError(operation: string, error: unknown, context: ErrorContext): KubernetesApiError {
  if (error instanceof KubernetesApiError) return error;
  const { code, body, message } = (error ?? {}) as { code?: unknown; body?: unknown; message?: string };
  if (typeof code === 'number') return new KubernetesApiError(operation, code, apiMessage(body) || (message ?? ''), undefined, context, { cause: error });
  return new KubernetesApiError(operation, null, message ?? String(error), typeof code === 'string' ? code : undefined, context, { cause: error });
}

/** One pod's life: create, follow its status, delete and wait until it is gone. */
export class PodRun {
  readonly api: CoreV1Api;
  readonly context: ErrorContext;
  /** Last thing seen while starting, for the timeout message. */
  lastSeen = 'not created';
  private created: Promise<V1Pod | undefined> | undefined;
  /** Outcome of the create: unknown until it settles, and when it was aborted or got no answer. */
  private createAnswered = false;
  /** Aborts a create still in flight when the pod is given up on. */
  private readonly createAbort = new AbortController();
  /** Never aborted: delete and read are bounded by apiTimeoutMs only. */
  private readonly noAbort = new AbortController().signal;
  private stopping: Promise<void> | undefined;
  private resourceVersion: string | undefined;

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly namespace: string,
    readonly name: string,
    readonly image: string,
    readonly options: KubernetesPodOptions,
  ) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
    this.context = { image, pod: name, namespace, server: kubeConfig.getCurrentCluster()?.server };
  }

  /** Creates the pod (once); emits it. */
  create(): Observable<V1Pod> {
    return defer(() => {
      this.created ??= this.api
        .createNamespacedPod({ namespace: this.namespace, body: podManifest(this.name, this.image, this.options) }, abortable(this.createAbort.signal, this.apiTimeoutMs))
        .then(
          (pod) => {
            this.createAnswered = true;
            return pod;
          },
          (error: unknown) => {
            // An HTTP answer, or a connection that was never made: either way no pod exists.
            const code = (error as { code?: unknown }).code;
            this.createAnswered = typeof code === 'number' || NOT_SENT.has(String(code));
            throw toApiError('create', error, this.context);
          },
        );
      return this.created;
    }).pipe(
      map((pod) => {
        this.resourceVersion = pod!.metadata?.resourceVersion;
        this.lastSeen = 'created';
        return pod!;
      }),
    );
  }

  /**
   * The pod's status from the last version seen on, re-watching when the API server ends a watch.
   * A deletion by anyone but us is a failure. An API server that cannot be reached (restarting,
   * upgraded, overloaded) is waited out, with a growing pause: the pod serves its session without
   * it, and a start stays bounded by `startTimeoutMs`. A refused watch (RBAC) errors.
   */
  status$(): Observable<PodStatus> {
    return defer(() => (this.resourceVersion ? watchPod(this.kubeConfig, this.namespace, this.name, this.resourceVersion) : this.currentThenWatch())).pipe(
      // Each event proves the API server answers again.
      tap(() => (this.unreachable = 0)),
      catchError((error: unknown) => throwError(() => toApiError('watch', error, this.context))),
      // The API server ends watches after a few minutes; a short pause keeps a watch that ends at
      // once (an error status) from spinning.
      repeat({ delay: 200 }),
      retry({
        delay: (error: KubernetesApiError) => {
          if (!error.transient) throw error;
          this.unreachable++;
          this.lastSeen = `${this.lastSeen.replace(/ \(API server unreachable.*$/, '')} (API server unreachable: ${error.apiMessage || error.systemCode || error.status})`;
          return timer(Math.min(200 * 2 ** (this.unreachable - 1), 5_000));
        },
      }),
      // Our own deletion is not a failure.
      filter(() => this.stopping === undefined),
      filter((event) => {
        if (event.type !== 'ERROR') return true;
        // Usually 410 Gone: the version watched from was compacted. Read the pod and watch from
        // its version (a pod gone meanwhile has no event left to see).
        this.resourceVersion = undefined;
        return false;
      }),
      tap((event) => (this.resourceVersion = event.pod.metadata?.resourceVersion ?? this.resourceVersion)),
      map((event): PodStatus => {
        const status = podStatus(event.pod);
        // Gone without a deletion seen before (a grace period of 0): deleted, or evicted.
        if (event.type === 'DELETED' && status.kind !== 'failed') return { kind: 'failed', failure: 'deleted', reason: 'Deleted', message: 'the pod was deleted by someone else', exitCode: null };
        return status;
      }),
      tap((status) => (this.lastSeen = status.kind === 'pending' ? status.detail : status.kind === 'unschedulable' ? `Unschedulable: ${status.message}` : status.kind)),
    );
  }

  /** Watch failures in a row (the API server not answering). */
  private unreachable = 0;

  /** The pod as it is now, then its watch from that version; a pod that no longer exists as DELETED. */
  private currentThenWatch(): Observable<PodEvent> {
    return from(this.api.readNamespacedPod({ name: this.name, namespace: this.namespace }, abortable(this.noAbort, this.apiTimeoutMs))).pipe(
      switchMap((pod) => concat(of<PodEvent>({ type: 'MODIFIED', pod }), watchPod(this.kubeConfig, this.namespace, this.name, pod.metadata?.resourceVersion))),
      catchError((error: unknown) => (isNotFound(error) ? of<PodEvent>({ type: 'DELETED', pod: {} }) : throwError(() => error))),
    );
  }

  private failure: Observable<never> | undefined;

  /**
   * Errors with the typed `KubernetesPodError` of the pod's end (crash, OOM kill, eviction,
   * deletion by someone else, ...) carrying its events and log tail; never emits. One watch for
   * all subscribers, who all get the same error object.
   */
  failure$(): Observable<never> {
    this.failure ??= this.status$().pipe(
      filter((status): status is Extract<PodStatus, { kind: 'failed' }> => status.kind === 'failed'),
      first(),
      mergeMap((status) => this.failWith(status, false)),
      share({ connector: () => new ReplaySubject(1), resetOnError: false, resetOnComplete: false, resetOnRefCountZero: true }),
    );
    return this.failure;
  }

  /**
   * Emits the pod IP once the container runs; errors at once on a permanent failure, and when
   * the scheduler has found no node for `schedulingTimeoutMs`.
   */
  running$(): Observable<string> {
    const schedulingTimeoutMs = this.options.schedulingTimeoutMs ?? 10_000;
    return this.status$().pipe(
      takeWhile((status) => status.kind !== 'failed', true),
      // A newer status cancels the scheduling timer: the pod was placed after all.
      switchMap((status) => {
        if (status.kind === 'failed') return this.failWith(status, true);
        if (status.kind === 'running') return of(status.podIP);
        if (status.kind === 'unschedulable' && Number.isFinite(schedulingTimeoutMs)) return timer(schedulingTimeoutMs).pipe(mergeMap(() => this.failWith(status, true)));
        return EMPTY;
      }),
      first(),
    );
  }

  /** The typed error of `status`, with the pod's events (and the log tail when the container ran). */
  private failWith(status: Failed, starting: boolean): Observable<never> {
    return from(this.details(status)).pipe(
      map((details) => {
        throw podFailureError(status, this.context, details, starting);
      }),
    );
  }

  /** The pod's events and, for a container that ran, its last log lines. Never rejects: diagnostics. */
  async details(status: Failed): Promise<KubernetesPodDetails> {
    const ran = status.kind === 'failed' && (status.failure === 'crash' || status.failure === 'oom');
    const options = abortable(this.noAbort, Math.min(this.apiTimeoutMs, DETAILS_TIMEOUT_MS));
    const events = this.api
      .listNamespacedEvent({ namespace: this.namespace, fieldSelector: `involvedObject.name=${this.name}` }, options)
      .then((list) => describePodEvents(list.items))
      .catch(() => []);
    const logTail = ran
      ? this.api
          .readNamespacedPodLog({ name: this.name, namespace: this.namespace, container: 'server', tailLines: LOG_TAIL_LINES }, options as never)
          .then((text) => String(text ?? '').split('\n').filter((line, i, all) => line !== '' || i < all.length - 1).slice(-LOG_TAIL_LINES))
          .catch(() => [])
      : Promise.resolve([]);
    return { events: await events, logTail: await logTail };
  }

  /** Deletes the pod (if it was created) and resolves once the API server no longer has it. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.deleteAndWait();
    return this.stopping;
  }

  private get apiTimeoutMs(): number {
    return this.options.apiTimeoutMs ?? 30_000;
  }

  private async deleteAndWait(): Promise<void> {
    if (!this.created) return;
    // A create still in flight is given up on; whether the API server stored the pod is then
    // unknown, so it is deleted by name all the same (a 404 says there was none).
    this.createAbort.abort();
    const created = await this.created.catch(() => undefined);
    if (!created && this.createAnswered) return; // refused with an answer: nothing was created
    let deleted: V1Pod;
    try {
      deleted = await this.api.deleteNamespacedPod(
        { name: this.name, namespace: this.namespace, gracePeriodSeconds: this.options.deleteGraceSeconds ?? 1 },
        abortable(this.noAbort, this.apiTimeoutMs),
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw toApiError('delete', error, this.context);
    }
    // A pod never bound to a node has no kubelet to wait for: the API server removed it at once
    // (its DELETED event is at the version the delete returned, which a watch from it would miss).
    if (!deleted.spec?.nodeName) return;
    // Watch from the deletion's own version: the DELETED event arrives even if it already happened.
    // A watch the server ends before that falls back to reading until 404.
    const gone$ = watchPod(this.kubeConfig, this.namespace, this.name, deleted.metadata?.resourceVersion).pipe(
      filter((event) => event.type === 'DELETED'),
      first(),
      catchError((error: unknown) => (error instanceof EmptyError ? from(this.readUntilGone()) : throwError(() => error))),
      // Still there after the grace period and some room for the kubelet: its node may be gone.
      timeout({
        first: (this.options.deleteGraceSeconds ?? 1) * 1000 + (this.options.forceDeleteAfterMs ?? 30_000),
        with: () => from(this.forceDelete()),
      }),
    );
    await lastValueFrom(gone$, { defaultValue: undefined });
  }

  /** Deletes the pod with grace 0 (the API server removes it without the kubelet's word) and waits until it is gone. */
  private async forceDelete(): Promise<void> {
    try {
      await this.api.deleteNamespacedPod({ name: this.name, namespace: this.namespace, gracePeriodSeconds: 0 }, abortable(this.noAbort, this.apiTimeoutMs));
    } catch (error) {
      if (isNotFound(error)) return;
      throw toApiError('delete', error, this.context);
    }
    await this.readUntilGone();
  }

  private async readUntilGone(): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      try {
        await this.api.readNamespacedPod({ name: this.name, namespace: this.namespace }, abortable(this.noAbort, this.apiTimeoutMs));
      } catch (error) {
        if (isNotFound(error)) return;
        throw toApiError('read', error, this.context);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new KubernetesPodError('Terminating', 'still present 120 s after its deletion', null, this.context);
  }
}
