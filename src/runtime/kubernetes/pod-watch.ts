import { Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Observable } from 'rxjs';

/** One watch event of a pod; `DELETED` carries the last state; `ERROR` carries a Status, not a pod. */
export interface PodEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  pod: V1Pod;
}

/**
 * The events of one pod from `resourceVersion` on (so nothing between the create and the watch is
 * missed), as an Observable: unsubscribing aborts the watch request. Completes when the server
 * closes the watch (callers re-read and watch again if they still care).
 */
export function watchPod(kubeConfig: KubeConfig, namespace: string, name: string, resourceVersion: string | undefined): Observable<PodEvent> {
  return new Observable<PodEvent>((subscriber) => {
    let abort: AbortController | undefined;
    let closed = false;
    new Watch(kubeConfig)
      .watch(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
        { fieldSelector: `metadata.name=${name}`, ...(resourceVersion && { resourceVersion }), allowWatchBookmarks: false },
        (type, pod: V1Pod) => subscriber.next({ type: type as PodEvent['type'], pod }),
        (error: unknown) => {
          if (closed) return;
          if (error && (error as { name?: string }).name !== 'AbortError') subscriber.error(error);
          else subscriber.complete();
        },
      )
      .then(
        (controller) => {
          abort = controller;
          if (closed) controller.abort();
        },
        (error: unknown) => subscriber.error(error),
      );
    return () => {
      closed = true;
      abort?.abort();
    };
  });
}
