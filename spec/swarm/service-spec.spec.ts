import type Docker from 'dockerode';
import { firstValueFrom } from 'rxjs';
import { InvalidOptionError } from '../../src/errors/index.js';
import { buildServiceSpec, type ServiceSpecInput } from '../../src/runtime/swarm/service-spec.js';
import { swarmEndpoint } from '../../src/runtime/swarm/swarm-endpoint.js';
import type { SwarmEndpointOptions } from '../../src/runtime/swarm/swarm-endpoint-options.js';
import { validateSwarmOptions } from '../../src/runtime/swarm/validate-options.js';

const ours = { 'openenv-rx': '1', 'openenv-rx.session': 's-1', 'openenv-rx.owner-pid': '42' };
const input = (extra: Partial<ServiceSpecInput> = {}): ServiceSpecInput => ({
  name: 'openenv-rx-s-1',
  image: 'sha256:abc',
  containerPort: 8000,
  serviceLabels: ours,
  containerLabels: { 'openenv-rx.swarm-session': 's-1' },
  stopGraceS: 2,
  ...extra,
});
const containerSpec = (spec: Docker.CreateServiceOptions) => (spec.TaskTemplate as Docker.ContainerTaskSpec).ContainerSpec!;

describe('buildServiceSpec', () => {
  it('one replica, restart none, the port published in host mode with an engine-chosen port, owner labels', () => {
    const spec = buildServiceSpec(input({ token: 't0k', env: { A: '1' }, cmd: ['--verbose'] }));
    expect(spec).toEqual({
      Name: 'openenv-rx-s-1',
      Labels: ours,
      Mode: { Replicated: { Replicas: 1 } },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'sha256:abc',
          Args: ['--verbose'],
          StopGracePeriod: 2e9,
          Env: ['A=1', 'OPENENV_TOKEN=t0k'],
          Labels: { 'openenv-rx.swarm-session': 's-1' },
        },
        RestartPolicy: { Condition: 'none' },
      },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8000, PublishMode: 'host' }] },
    });
  });

  it('placement, resources and networks in the engine units', () => {
    const spec = buildServiceSpec(
      input({
        constraints: ['node.labels.pool==envs'],
        preferences: ['node.labels.zone'],
        resources: { cpus: 1.5, memoryBytes: 512 * 2 ** 20, reserveCpus: 0.25, reserveMemoryBytes: 2 ** 20 },
        networks: ['envs-overlay'],
      }),
    );
    const task = spec.TaskTemplate as Docker.ContainerTaskSpec;
    expect(task.Placement).toEqual({ Constraints: ['node.labels.pool==envs'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] });
    expect(task.Resources).toEqual({ Limits: { NanoCPUs: 1.5e9, MemoryBytes: 512 * 2 ** 20 }, Reservations: { NanoCPUs: 0.25e9, MemoryBytes: 2 ** 20 } });
    expect(task.Networks).toEqual([{ Target: 'envs-overlay' }]);
  });

  it('serviceOptions merge deeply, but name, labels, image, mode, token and the host-mode port stay ours', () => {
    const spec = buildServiceSpec(
      input({
        token: 'ours',
        env: { B: '2' },
        labels: { team: 'rl', 'openenv-rx.owner-pid': 'spoofed' },
        serviceOptions: {
          Name: 'theirs',
          Labels: { extra: 'yes', 'openenv-rx': '0' },
          Mode: { Replicated: { Replicas: 5 } },
          TaskTemplate: {
            ContainerSpec: { Image: 'other', Env: ['A=1', 'OPENENV_TOKEN=theirs'], Mounts: [{ Type: 'tmpfs', Source: '', Target: '/scratch' }], Labels: { c: '1' } },
            RestartPolicy: { Condition: 'on-failure' },
            LogDriver: { Name: 'json-file' },
          },
          EndpointSpec: { Mode: 'dnsrr', Ports: [{ TargetPort: 8000, PublishedPort: 80, PublishMode: 'ingress' }] },
        },
      }),
    );
    expect(spec.Name).toBe('openenv-rx-s-1');
    expect(spec.Labels).toEqual({ extra: 'yes', team: 'rl', ...ours });
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec.EndpointSpec).toEqual({ Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 8000, PublishMode: 'host' }] });
    const task = spec.TaskTemplate as Docker.ContainerTaskSpec;
    expect(task.RestartPolicy).toEqual({ Condition: 'on-failure' }); // yours to choose (and documented as pointless)
    expect(task.LogDriver).toEqual({ Name: 'json-file' });
    expect(containerSpec(spec)).toMatchObject({
      Image: 'sha256:abc',
      Mounts: [{ Type: 'tmpfs', Source: '', Target: '/scratch' }],
      // The last OPENENV_TOKEN wins in a container's environment: ours.
      Env: ['A=1', 'OPENENV_TOKEN=theirs', 'B=2', 'OPENENV_TOKEN=ours'],
      Labels: { c: '1', team: 'rl', 'openenv-rx.owner-pid': 'spoofed', 'openenv-rx.swarm-session': 's-1' },
    });
  });

  it('no token, no env: no Env at all', () => {
    expect(containerSpec(buildServiceSpec(input())).Env).toBeUndefined();
  });
});

describe('swarmEndpoint option checks (before anything is created)', () => {
  const invalid = (options: SwarmEndpointOptions): InvalidOptionError => {
    try {
      validateSwarmOptions('img', options);
    } catch (error) {
      return error as InvalidOptionError;
    }
    throw new Error('expected an InvalidOptionError');
  };

  it.each<[string, SwarmEndpointOptions]>([
    ['containerPort', { containerPort: 0 }],
    ['containerPort', { containerPort: 70_000 }],
    ['env', { env: { A: 1 as unknown as string } }],
    ['cmd', { cmd: 'node' as unknown as string[] }],
    ['pull', { pull: 'always' as never }],
    ['token', { token: '' }],
    ['token', { token: 'has space' }],
    ['constraints', { constraints: ['node.role==manager', ''] }],
    ['preferences', { preferences: [7 as unknown as string] }],
    ['networks', { networks: 'net' as unknown as string[] }],
    ['labels', { labels: { a: null as unknown as string } }],
    ['resources.cpus', { resources: { cpus: 0 } }],
    ['resources.memoryBytes', { resources: { memoryBytes: -1 } }],
    ['resources.reserveCpus', { resources: { reserveCpus: Number.NaN } }],
    ['nodeAddress', { nodeAddress: '10.0.0.1' as never }],
    ['addressFamily', { addressFamily: 'inet6' as never }],
    ['startTimeoutMs', { startTimeoutMs: 0 }],
    ['schedulingTimeoutMs', { schedulingTimeoutMs: -1 }],
    ['taskPollIntervalMs', { taskPollIntervalMs: 0 }],
    ['stopGraceS', { stopGraceS: -1 }],
    ['logTailLines', { logTailLines: 1.5 }],
  ])('%s: InvalidOptionError naming the field', (field, options) => {
    const error = invalid(options);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.option).toBe(field);
  });

  it('never echoes a bad token', () => {
    expect(invalid({ token: 'secret value' }).message).not.toContain('secret');
  });

  it('an empty image name errors the Observable (cold), naming the argument', async () => {
    let endpoint$: ReturnType<typeof swarmEndpoint> | undefined;
    expect(() => (endpoint$ = swarmEndpoint('  '))).not.toThrow();
    await expect(firstValueFrom(endpoint$!)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'image' });
  });

  it('schedulingTimeoutMs: Infinity is allowed (wait for the start timeout)', () => {
    expect(() => validateSwarmOptions('img', { schedulingTimeoutMs: Infinity })).not.toThrow();
  });
});
