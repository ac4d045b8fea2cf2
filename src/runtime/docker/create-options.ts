import type Docker from 'dockerode';
import { deepMerge } from './deep-merge.js';
import { loopbackPortBinding } from './port-mapping.js';

export interface CreateOptionsInput {
  image: string;
  containerPort: number;
  labels: Record<string, string>;
  env?: Record<string, string>;
  cmd?: string[];
  /** The user's passthrough (HostConfig.Binds, Memory, NanoCpus, NetworkMode, ...). */
  createOptions?: Docker.ContainerCreateOptions;
}

/**
 * The `POST /containers/create` body. `createOptions` is merged deeply over our base so that
 * nothing is dropped: nested objects (HostConfig, PortBindings, ExposedPorts) merge key by key,
 * arrays and scalars from `createOptions` win, except two that are combined: `Env` (yours first,
 * then `env`, so `env` wins for a repeated name) and `Labels` (ours are applied last: the reaper
 * relies on them).
 */
export function buildCreateOptions(input: CreateOptionsInput): Docker.ContainerCreateOptions {
  const base: Docker.ContainerCreateOptions = {
    Image: input.image,
    ...(input.cmd ? { Cmd: input.cmd } : {}),
    ...loopbackPortBinding(input.containerPort),
  };
  const merged = deepMerge(base as Record<string, unknown>, input.createOptions as Record<string, unknown> | undefined) as Docker.ContainerCreateOptions;
  const env = [...(input.createOptions?.Env ?? []), ...Object.entries(input.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  if (env.length) merged.Env = env;
  merged.Labels = { ...input.createOptions?.Labels, ...input.labels };
  merged.Image = input.image;
  return merged;
}
