import { InvalidOptionError } from '../../errors/index.js';
import type { KubernetesPodOptions } from './kubernetes-pod-options.js';

/** DNS-1123 label: what a namespace name must be. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const CONNECT_VIA = ['auto', 'pod-ip', 'port-forward'];

const isDuration = (value: unknown, allowInfinity: boolean): boolean =>
  typeof value === 'number' && value >= 0 && (Number.isFinite(value) || (allowInfinity && value === Infinity));

const isStringMap = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');

/** Checks `fromKubernetesPod`'s arguments; throws `InvalidOptionError` naming the first bad one. */
export function validatePodOptions(image: unknown, options: KubernetesPodOptions): void {
  if (typeof image !== 'string' || image.trim() === '') throw new InvalidOptionError('image', image, 'a non-empty image name');
  const context = { image };
  const check = (ok: boolean, option: string, value: unknown, expected: string): void => {
    if (!ok) throw new InvalidOptionError(option, value, expected, context);
  };
  const o = options as Record<string, unknown>;
  const port = o['containerPort'];
  if (port !== undefined) check(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65_535, 'containerPort', port, 'an integer in 1..65535');
  if (typeof o['kubeConfig'] === 'string') check(o['kubeConfig'].trim() !== '', 'kubeConfig', o['kubeConfig'], 'a KubeConfig or the path of a kubeconfig file');
  if (o['namespace'] !== undefined) check(typeof o['namespace'] === 'string' && DNS_LABEL.test(o['namespace']), 'namespace', o['namespace'], 'a namespace name (lower-case letters, digits, -)');
  if (o['imagePullPolicy'] !== undefined) check(PULL_POLICIES.includes(o['imagePullPolicy'] as string), 'imagePullPolicy', o['imagePullPolicy'], PULL_POLICIES.join(', '));
  if (o['connectVia'] !== undefined) check(CONNECT_VIA.includes(o['connectVia'] as string), 'connectVia', o['connectVia'], CONNECT_VIA.join(', '));
  for (const name of ['env', 'labels', 'nodeSelector'] as const) {
    if (o[name] !== undefined) check(isStringMap(o[name]), name, o[name], 'an object of string values');
  }
  for (const name of ['command', 'args'] as const) {
    if (o[name] !== undefined) check(Array.isArray(o[name]) && (o[name] as unknown[]).every((a) => typeof a === 'string'), name, o[name], 'an array of strings');
  }
  if (o['tolerations'] !== undefined) check(Array.isArray(o['tolerations']), 'tolerations', o['tolerations'], 'an array of tolerations');
  if (o['ownerReferences'] !== undefined) {
    const refs = o['ownerReferences'];
    check(Array.isArray(refs) && refs.every((r) => ['apiVersion', 'kind', 'name', 'uid'].every((k) => typeof (r as Record<string, unknown>)?.[k] === 'string')), 'ownerReferences', refs, 'an array of { apiVersion, kind, name, uid }');
  }
  if (o['startTimeoutMs'] !== undefined) check(isDuration(o['startTimeoutMs'], false) && (o['startTimeoutMs'] as number) > 0, 'startTimeoutMs', o['startTimeoutMs'], 'a number of milliseconds > 0');
  if (o['schedulingTimeoutMs'] !== undefined) check(isDuration(o['schedulingTimeoutMs'], true), 'schedulingTimeoutMs', o['schedulingTimeoutMs'], 'a number of milliseconds >= 0, or Infinity');
  for (const name of ['apiTimeoutMs', 'healthIntervalMs', 'forceDeleteAfterMs'] as const) {
    if (o[name] !== undefined) check(isDuration(o[name], false) && (o[name] as number) > 0, name, o[name], 'a number of milliseconds > 0');
  }
  if (o['deleteGraceSeconds'] !== undefined) check(Number.isInteger(o['deleteGraceSeconds']) && (o['deleteGraceSeconds'] as number) >= 0, 'deleteGraceSeconds', o['deleteGraceSeconds'], 'an integer >= 0');
}
