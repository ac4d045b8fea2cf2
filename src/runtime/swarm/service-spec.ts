import type Docker from 'dockerode';
import { deepMerge } from '../docker/deep-merge.js';
import type { SwarmResources } from './swarm-endpoint-options.js';

export interface ServiceSpecInput {
  name: string;
  /** What the task runs: the image ID (pull `never`) or the name as given. */
  image: string;
  containerPort: number;
  /** Owner labels of the service (the reaper selects on them). */
  serviceLabels: Record<string, string>;
  /** Labels of the task's container. */
  containerLabels: Record<string, string>;
  /** The user's labels, on both (ours win). */
  labels?: Record<string, string>;
  env?: Record<string, string>;
  cmd?: string[];
  token?: string;
  constraints?: string[];
  preferences?: string[];
  resources?: SwarmResources;
  networks?: string[];
  stopGraceS: number;
  serviceOptions?: Partial<Docker.CreateServiceOptions>;
}

const NANO = 1e9;

function resourceSpec(resources: SwarmResources | undefined): Docker.ResourceRequirements | undefined {
  if (!resources) return undefined;
  const limits: Docker.ResourceLimits = {};
  const reservations: Docker.Resources = {};
  if (resources.cpus !== undefined) limits.NanoCPUs = Math.round(resources.cpus * NANO);
  if (resources.memoryBytes !== undefined) limits.MemoryBytes = resources.memoryBytes;
  if (resources.reserveCpus !== undefined) reservations.NanoCPUs = Math.round(resources.reserveCpus * NANO);
  if (resources.reserveMemoryBytes !== undefined) reservations.MemoryBytes = resources.reserveMemoryBytes;
  return {
    ...(Object.keys(limits).length > 0 && { Limits: limits }),
    ...(Object.keys(reservations).length > 0 && { Reservations: reservations }),
  };
}

/**
 * The `POST /services/create` body of one session: one replica, restart policy `none`, the
 * container port published in host mode with an engine-chosen port (never the ingress mesh: a
 * session must stay on the task it connected to). `serviceOptions` is merged deeply over it;
 * afterwards the parts a session depends on are set again: name, labels (ours win), image, the
 * token, mode and the published port (only `EndpointSpec.Mode` is yours to set). `Env` is concatenated: yours, then `env`, then `OPENENV_TOKEN`.
 */
export function buildServiceSpec(input: ServiceSpecInput): Docker.CreateServiceOptions {
  const base: Docker.CreateServiceOptions = {
    Name: input.name,
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        ...(input.cmd && { Args: input.cmd }),
        StopGracePeriod: Math.round(input.stopGraceS * NANO),
      },
      RestartPolicy: { Condition: 'none' },
      ...(input.resources && { Resources: resourceSpec(input.resources) }),
      ...((input.constraints?.length || input.preferences?.length) && {
        Placement: {
          ...(input.constraints?.length && { Constraints: input.constraints }),
          ...(input.preferences?.length && { Preferences: input.preferences.map((p) => ({ Spread: { SpreadDescriptor: p } })) }),
        },
      }),
      ...(input.networks?.length && { Networks: input.networks.map((Target) => ({ Target })) }),
    },
  };
  const merged = deepMerge(base as Record<string, unknown>, input.serviceOptions as Record<string, unknown> | undefined) as Docker.CreateServiceOptions;
  const task = (merged.TaskTemplate ?? {}) as Docker.ContainerTaskSpec;
  const userContainer = (input.serviceOptions?.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.ContainerSpec;
  const env = [
    ...(userContainer?.Env ?? []),
    ...Object.entries(input.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(input.token !== undefined ? [`OPENENV_TOKEN=${input.token}`] : []),
  ];
  task.ContainerSpec = {
    ...task.ContainerSpec,
    Image: input.image,
    ...(env.length > 0 && { Env: env }),
    Labels: { ...userContainer?.Labels, ...input.labels, ...input.containerLabels },
  };
  merged.TaskTemplate = task;
  merged.Name = input.name;
  merged.Labels = { ...input.serviceOptions?.Labels, ...input.labels, ...input.serviceLabels };
  merged.Mode = { Replicated: { Replicas: 1 } };
  const mode = input.serviceOptions?.EndpointSpec?.Mode;
  merged.EndpointSpec = { ...(mode && { Mode: mode }), Ports: [{ Protocol: 'tcp', TargetPort: input.containerPort, PublishMode: 'host' }] };
  return merged;
}
