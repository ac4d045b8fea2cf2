import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { EmptyError, Observable, catchError, defer, filter, first, from, lastValueFrom, map, mergeMap, repeat, share, tap, throwError, timeout } from 'rxjs';
import { KubernetesApiError, KubernetesPodError, type ErrorContext } from '../../errors/index.js';
import type { KubernetesPodOptions } from './kubernetes-pod-options.js';
import { podManifest } from './pod-manifest.js';
import { podStatus, type PodStatus } from './pod-status.js';
import { watchPod } from './pod-watch.js';

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
   * A deletion by anyone but us is a failure.
   */
  status$(): Observable<PodStatus> {
    return defer(() => watchPod(this.kubeConfig, this.namespace, this.name, this.resourceVersion)).pipe(
      catchError((error: unknown) => throwError(() => toApiError('watch', error, this.context))),
      // The API server ends watches after a few minutes; a short pause keeps a watch that ends at
      // once (an error status) from spinning.
      repeat({ delay: 200 }),
      // Our own deletion is not a failure.
      filter(() => this.stopping === undefined),
      filter((event) => {
        if (event.type !== 'ERROR') return true;
        // Usually 410 Gone: the version watched from was compacted. Watch again from now (the
        // new watch starts with the pod's current state).
        this.resourceVersion = undefined;
        return false;
      }),
      tap((event) => (this.resourceVersion = event.pod.metadata?.resourceVersion ?? this.resourceVersion)),
      map((event): PodStatus =>
        event.type === 'DELETED' ? { kind: 'failed', reason: 'Deleted', message: 'the pod was deleted by someone else', exitCode: null } : podStatus(event.pod),
      ),
      tap((status) => (this.lastSeen = status.kind === 'pending' ? status.detail : status.kind)),
    );
  }

  /** Errors with `KubernetesPodError` when the pod fails or is deleted; never emits. */
  failure$(): Observable<never> {
    return this.status$().pipe(
      filter((status) => status.kind === 'failed'),
      map((status) => {
        const failed = status as Extract<PodStatus, { kind: 'failed' }>;
        throw new KubernetesPodError(failed.reason, failed.message, failed.exitCode, this.context);
      }),
    );
  }

  /** Emits the pod IP once the container runs; errors at once on a permanent failure. */
  running$(): Observable<string> {
    const status$ = this.status$().pipe(share());
    return status$.pipe(
      mergeMap((status) => {
        if (status.kind === 'failed') throw new KubernetesPodError(status.reason, status.message, status.exitCode, this.context);
        return status.kind === 'running' ? [status.podIP] : [];
      }),
      first(),
    );
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
    // Watch from the deletion's own version: the DELETED event arrives even if it already happened.
    // A watch the server ends before that falls back to reading until 404.
    const gone$ = watchPod(this.kubeConfig, this.namespace, this.name, deleted.metadata?.resourceVersion).pipe(
      filter((event) => event.type === 'DELETED'),
      first(),
      catchError((error: unknown) => (error instanceof EmptyError ? from(this.readUntilGone()) : throwError(() => error))),
      // Bounded like every other step of a teardown: the grace period plus room for the kubelet.
      timeout({
        first: (this.options.deleteGraceSeconds ?? 1) * 1000 + 120_000,
        with: () => throwError(() => new KubernetesPodError('Terminating', 'still present 120 s after its grace period', null, this.context)),
      }),
    );
    await lastValueFrom(gone$, { defaultValue: undefined });
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
