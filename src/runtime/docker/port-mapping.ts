import type Docker from 'dockerode';

/** `8000` → `8000/tcp`, the key Docker uses for exposed and published ports. */
const portKey = (containerPort: number): string => `${containerPort}/tcp`;

/**
 * Publishes the container port on 127.0.0.1 only, host port chosen by Docker (`HostPort: ''`):
 * no race for a free port, nothing reachable from other machines.
 */
export function loopbackPortBinding(containerPort: number): Pick<Docker.ContainerCreateOptions, 'ExposedPorts'> & {
  HostConfig: Pick<Docker.HostConfig, 'PortBindings'>;
} {
  const key = portKey(containerPort);
  return {
    ExposedPorts: { [key]: {} },
    HostConfig: { PortBindings: { [key]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  };
}

/**
 * The base URL of the published port, read back from `container.inspect()`. With
 * `NetworkMode: 'host'` the server listens on the host directly. `undefined` when not published.
 */
export function publishedUrl(info: Docker.ContainerInspectInfo, containerPort: number): string | undefined {
  if (info.HostConfig?.NetworkMode === 'host') return `http://127.0.0.1:${containerPort}`;
  const bindings = info.NetworkSettings?.Ports?.[portKey(containerPort)] ?? [];
  const binding = bindings.find((b) => b.HostIp === '127.0.0.1') ?? bindings[0];
  if (!binding?.HostPort) return undefined;
  const host = !binding.HostIp || binding.HostIp === '0.0.0.0' || binding.HostIp === '::' ? '127.0.0.1' : binding.HostIp;
  return `http://${host.includes(':') ? `[${host}]` : host}:${binding.HostPort}`;
}
