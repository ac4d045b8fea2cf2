import {
  ConnectionClosedError,
  KubernetesApiError,
  KubernetesCrashError,
  KubernetesEvictedError,
  KubernetesImagePullError,
  KubernetesOomKilledError,
  KubernetesPodDeletedError,
  KubernetesPodError,
  KubernetesUnschedulableError,
  ServerError,
  ServerExitedError,
  SwarmTaskError,
  markPermanent,
} from '../../src/errors/index.js';
import { isSessionFault } from '../../src/internal/step-failure.js';

// Which errors a long run answers by replacing the session (isSessionFault) rather than failing:
// every runtime's "the server under this session is gone" must be one, or a pod deleted
// mid-run ends a 10 000-episode run instead of one episode.
describe('isSessionFault: a lost server of any runtime is a fault, a refused request is not', () => {
  const lost: Array<[string, Error]> = [
    ['a dropped socket', new ConnectionClosedError('closed', 1006, '')],
    ['a container that exited', new ServerExitedError('container', 137, [])],
    ['a swarm task that failed', new SwarmTaskError('failed', 'task: non-zero exit (137)', 137, [])],
    ['a Kubernetes pod deleted by someone else', new KubernetesPodDeletedError({ pod: 'p' })],
    ['a Kubernetes pod evicted', new KubernetesEvictedError('The node was low on resource: memory.')],
    ['a Kubernetes pod whose server crashed', new KubernetesCrashError('Error', '', 1)],
    ['a Kubernetes pod OOM-killed', new KubernetesOomKilledError('', 137)],
    ['a Kubernetes pod that ended otherwise', new KubernetesPodError('Failed', 'node shutdown', null)],
    ['a Kubernetes API server that cannot be reached', new KubernetesApiError('watch', null, 'connect ECONNREFUSED', 'ECONNREFUSED')],
    ['a Kubernetes API server overloaded', new KubernetesApiError('create', 429, 'too many requests', undefined)],
  ];
  it.each(lost)('%s: replaced', (_, error) => {
    expect(isSessionFault(error)).toBe(true);
  });

  const refused: Array<[string, Error]> = [
    ['an action the env raised on', new ServerError('EXECUTION_ERROR', 'env raised', {})],
    ['a pod create refused for RBAC (403)', new KubernetesApiError('create', 403, 'forbidden', undefined)],
    ['a pod create into a missing namespace (404)', new KubernetesApiError('create', 404, 'namespaces "nope" not found', undefined)],
    ['an invalid pod spec (422)', new KubernetesApiError('create', 422, 'Pod "x" is invalid', undefined)],
  ];
  it.each(refused)('%s: not replaced (only the caller can fix it)', (_, error) => {
    expect(isSessionFault(error)).toBe(false);
  });

  it('start failures that are permanent stay faults here: rollouts checks permanence on its own', () => {
    // The start-time classes: a fault by kind, and permanent when the start met them.
    expect(isSessionFault(markPermanent(new KubernetesImagePullError('ErrImageNeverPull', '', {})))).toBe(true);
    expect(isSessionFault(markPermanent(new KubernetesUnschedulableError('0/1 nodes are available', {})))).toBe(true);
  });
});
