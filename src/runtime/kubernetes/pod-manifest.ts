import type { V1Pod } from '@kubernetes/client-node';
import type { KubernetesPodOptions } from './kubernetes-pod-options.js';
import { podOwnerLabels } from './pod-labels.js';

/** The one-container pod that serves one env server. */
export function podManifest(name: string, image: string, options: KubernetesPodOptions): V1Pod {
  const port = options.containerPort ?? 8000;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { ...options.labels, ...podOwnerLabels(name) }, ...(options.ownerReferences?.length && { ownerReferences: options.ownerReferences }) },
    spec: {
      // A pod is one session's server: never restarted behind the session's back.
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: options.deleteGraceSeconds ?? 1,
      ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : { automountServiceAccountToken: false }),
      ...(options.nodeSelector && { nodeSelector: options.nodeSelector }),
      ...(options.tolerations && { tolerations: options.tolerations }),
      containers: [
        {
          name: 'server',
          image,
          imagePullPolicy: options.imagePullPolicy ?? 'IfNotPresent',
          ports: [{ containerPort: port, name: 'http' }],
          env: [{ name: 'PORT', value: String(port) }, ...Object.entries(options.env ?? {}).map(([name, value]) => ({ name, value }))],
          ...(options.command && { command: options.command }),
          ...(options.args && { args: options.args }),
          ...(options.resources && { resources: options.resources }),
        },
      ],
    },
  };
}
