import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k8sOptionsFromFlags } from '../../src/cli/options/k8s-options.js';
import { CliUsageError } from '../../src/errors/index.js';
import { closedPort, writeKubeconfig } from '../kubernetes/support/unreachable-kubeconfig.js';
import { runCliChild } from './cli-child.js';

const tmp = mkdtempSync(join(tmpdir(), 'openenv-rx-k8s-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Kubernetes target flags', () => {
  it('map onto fromKubernetesPod options: --pull as imagePullPolicy, the kubeconfig path, namespace, --pod-connect', () => {
    expect(k8sOptionsFromFlags({ k8s: true, image: 'img' })).toEqual({ imagePullPolicy: 'Never' });
    expect(k8sOptionsFromFlags({ k8s: true, image: 'img', pull: 'if-missing', kubeconfig: '/k', namespace: 'envs', podConnect: 'port-forward' })).toEqual({
      imagePullPolicy: 'IfNotPresent',
      kubeconfigPath: '/k',
      namespace: 'envs',
      connectVia: 'port-forward',
    });
    expect(k8sOptionsFromFlags({ k8s: true, image: 'img', pull: 'always' })?.imagePullPolicy).toBe('Always');
    expect(k8sOptionsFromFlags({ image: 'img' })).toBeUndefined();
  });

  it('refuses its flags without --k8s, and --k8s without --image, naming the flag', () => {
    expect(() => k8sOptionsFromFlags({ image: 'img', namespace: 'envs' })).toThrow(CliUsageError);
    expect(() => k8sOptionsFromFlags({ image: 'img', namespace: 'envs' })).toThrow(/--namespace configure Kubernetes pods; add --k8s/);
    expect(() => k8sOptionsFromFlags({ k8s: true })).toThrow(/--k8s runs the --image as Kubernetes pods; there is no --image/);
  });
});

describe('openenv-rx with --k8s against an API server that refuses connections (no cluster needed)', () => {
  let kubeconfig: string;
  beforeAll(async () => {
    kubeconfig = writeKubeconfig(tmp, `https://127.0.0.1:${await closedPort()}`);
  });

  it('rollout --k8s fails with ERR_K8S_API naming the server, exit 1', async () => {
    const { code, err } = await runCliChild(['rollout', '--k8s', '--image', 'img:1', '--kubeconfig', kubeconfig, '-n', '1', '-s', '1']);
    expect(code).toBe(1);
    expect(err).toMatch(/ERR_K8S_API: Kubernetes API create failed: the API server https:\/\/127\.0\.0\.1:\d+ could not be reached \(ECONNREFUSED\)/);
  }, 60_000);

  it('reap --k8s fails with ERR_K8S_API (list); --namespace without --k8s is a usage error; --k8s conflicts with --swarm', async () => {
    const reap = await runCliChild(['reap', '--k8s', '--kubeconfig', kubeconfig, '--namespace', 'envs']);
    expect(reap.code).toBe(1);
    expect(reap.err).toMatch(/ERR_K8S_API: Kubernetes API list failed/);
    const usage = await runCliChild(['reap', '--namespace', 'envs']);
    expect(usage.code).not.toBe(0);
    expect(usage.err).toMatch(/add --k8s/);
    const conflict = await runCliChild(['rollout', '--k8s', '--swarm', '--image', 'img:1']);
    expect(conflict.code).not.toBe(0);
    expect(conflict.err).toMatch(/'--k8s' cannot be used with option '--swarm'/);
  }, 90_000);
});
