import {
  KubernetesCrashError,
  KubernetesEvictedError,
  KubernetesImagePullError,
  KubernetesOomKilledError,
  KubernetesPodDeletedError,
  KubernetesPodError,
  KubernetesUnschedulableError,
  markPermanent,
  type ErrorContext,
  type KubernetesPodDetails,
} from '../../errors/index.js';
import type { PodStatus } from './pod-status.js';

/**
 * The typed error of a failed (or unschedulable) pod. `starting`: failures that the same start
 * would meet again (image, crash, unschedulable, OOM, a bad config) are marked permanent, so
 * pools and `rollouts` fail at once instead of retrying; a deletion, an eviction or a lost node is not.
 */
export function podFailureError(
  status: Extract<PodStatus, { kind: 'failed' | 'unschedulable' }>,
  context: ErrorContext,
  details: KubernetesPodDetails,
  starting: boolean,
): KubernetesPodError {
  const error = ((): KubernetesPodError => {
    if (status.kind === 'unschedulable') return new KubernetesUnschedulableError(status.message, context, details);
    switch (status.failure) {
      case 'image-pull':
        return new KubernetesImagePullError(status.reason, status.message, context, details);
      case 'crash':
        return new KubernetesCrashError(status.reason, status.message, status.exitCode, context, details);
      case 'oom':
        return new KubernetesOomKilledError(status.message, status.exitCode, context, details);
      case 'evicted':
        return new KubernetesEvictedError(status.message, context, details);
      case 'deleted':
        return new KubernetesPodDeletedError(context, details);
      case 'node-lost':
      case 'other':
        return new KubernetesPodError(status.reason, status.message, status.exitCode, context, details);
    }
  })();
  const transient = status.kind === 'failed' && (status.failure === 'evicted' || status.failure === 'deleted' || status.failure === 'node-lost');
  return starting && !transient ? markPermanent(error) : error;
}
