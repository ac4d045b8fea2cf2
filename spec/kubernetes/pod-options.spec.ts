import { firstValueFrom } from 'rxjs';
import { InvalidOptionError } from '../../src/errors/index.js';
import { fromKubernetesPod } from '../../src/runtime/kubernetes/from-kubernetes-pod.js';
import type { KubernetesPodOptions } from '../../src/runtime/kubernetes/kubernetes-pod-options.js';

// No cluster needed: the options are checked on subscribe, before a kubeconfig is even loaded.
describe('fromKubernetesPod option validation', () => {
  it('does not throw at call time (cold)', () => {
    expect(() => fromKubernetesPod('', {})).not.toThrow();
  });

  it.each<[string, unknown, KubernetesPodOptions | undefined, string]>([
    ['image', '', undefined, 'image'],
    ['image', 42, undefined, 'image'],
    ['containerPort', 'img:1', { containerPort: 70_000 }, 'containerPort'],
    ['namespace', 'img:1', { namespace: 'Not_A_Namespace' }, 'namespace'],
    ['imagePullPolicy', 'img:1', { imagePullPolicy: 'Sometimes' as never }, 'imagePullPolicy'],
    ['connectVia', 'img:1', { connectVia: 'service' as never }, 'connectVia'],
    ['env', 'img:1', { env: { A: 1 as never } }, 'env'],
    ['command', 'img:1', { command: 'node server.js' as never }, 'command'],
    ['ownerReferences', 'img:1', { ownerReferences: [{ kind: 'Job', name: 'x' } as never] }, 'ownerReferences'],
    ['startTimeoutMs', 'img:1', { startTimeoutMs: 0 }, 'startTimeoutMs'],
    ['schedulingTimeoutMs', 'img:1', { schedulingTimeoutMs: -1 }, 'schedulingTimeoutMs'],
    ['deleteGraceSeconds', 'img:1', { deleteGraceSeconds: 0.5 }, 'deleteGraceSeconds'],
    ['forceDeleteAfterMs', 'img:1', { forceDeleteAfterMs: -5 }, 'forceDeleteAfterMs'],
  ])('a bad %s errors the Observable with InvalidOptionError naming it', async (_, image, options, option) => {
    const error = await firstValueFrom(fromKubernetesPod(image as string, options)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option });
  });
});

describe('fromKubernetesPod kubeConfig as a path', () => {
  it('a file that does not exist errors with InvalidOptionError naming kubeConfig and the path', async () => {
    const error = await firstValueFrom(fromKubernetesPod('img:1', { kubeConfig: '/nonexistent/openenv-rx/kubeconfig' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: 'kubeConfig' });
    expect((error as Error).message).toContain('/nonexistent/openenv-rx/kubeconfig');
  });
});
