import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { DockerError, SwarmTaskError, SwarmUnavailableError } from '../../src/errors/index.js';
import { reapOrphans } from '../../src/runtime/reap-orphans.js';
import { nodeAddress, nodeInfoOf, nodeUrl } from '../../src/runtime/swarm/node-address.js';
import { reapOrphanServices } from '../../src/runtime/swarm/service-reaper.js';
import { resolveSwarmManager, swarmManagerInfo } from '../../src/runtime/swarm/swarm-manager.js';
import { firstTask, publishedHostPort, taskAbandoned, taskEnded, taskExitCode, taskMessage, type SwarmTask } from '../../src/runtime/swarm/swarm-task.js';
import { TaskPoller } from '../../src/runtime/swarm/task-poller.js';

const task = (id: string, serviceId: string, status: SwarmTask['Status'], createdAt = '2026-01-01T00:00:00Z'): SwarmTask => ({
  ID: id,
  ServiceID: serviceId,
  NodeID: 'node-1',
  CreatedAt: createdAt,
  Status: status,
});

describe('swarm task fields', () => {
  it('exit code only once a container ran and the task ended', () => {
    const ran = { ContainerID: 'c1', PID: 0, ExitCode: 3 };
    expect(taskExitCode(task('t', 's', { State: 'failed', Err: 'task: non-zero exit (3)', ContainerStatus: ran }))).toBe(3);
    expect(taskExitCode(task('t', 's', { State: 'running', ContainerStatus: { ContainerID: 'c1', PID: 77, ExitCode: 0 } }))).toBeNull();
    expect(taskExitCode(task('t', 's', { State: 'rejected', Err: 'No such image: x', ContainerStatus: { ContainerID: '', PID: 0, ExitCode: 0 } }))).toBeNull();
    expect(taskExitCode(task('t', 's', { State: 'pending' }))).toBeNull();
  });

  it('ended states, the message (Err before Message), the first task', () => {
    expect(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'].every((State) => taskEnded(task('t', 's', { State })))).toBe(true);
    expect(['new', 'pending', 'assigned', 'preparing', 'starting', 'running'].some((State) => taskEnded(task('t', 's', { State })))).toBe(false);
    expect(taskMessage(task('t', 's', { State: 'pending', Message: 'pending task scheduling', Err: 'no suitable node' }))).toBe('no suitable node');
    expect(taskMessage(task('t', 's', { State: 'running', Message: 'started' }))).toBe('started');
    const later = task('b', 's', {}, '2026-01-01T00:00:02Z');
    const earlier = task('a', 's', {}, '2026-01-01T00:00:01Z');
    expect(firstTask([later, earlier])?.ID).toBe('a');
    expect(firstTask([])).toBeUndefined();
  });

  it('the host-mode port of the container port, not an ingress one', () => {
    const t = task('t', 's', {
      State: 'running',
      PortStatus: {
        Ports: [
          { Protocol: 'tcp', TargetPort: 9000, PublishedPort: 30001, PublishMode: 'host' },
          { Protocol: 'tcp', TargetPort: 8000, PublishedPort: 30002, PublishMode: 'ingress' },
          { Protocol: 'tcp', TargetPort: 8000, PublishedPort: 30003, PublishMode: 'host' },
        ],
      },
    });
    expect(publishedHostPort(t, 8000)).toBe(30003);
    expect(publishedHostPort(t, 7000)).toBeUndefined();
  });

  it('the binding of the address family asked for: IPv4 the first host entry, IPv6 the second (allocated separately), none on an IPv4-only engine', () => {
    // As a dual-stack 20.10 node reports it when its IPv4 allocator is ahead of its IPv6 one.
    const dual = task('t', 's', {
      State: 'running',
      PortStatus: {
        Ports: [
          { Protocol: 'tcp', TargetPort: 8000, PublishedPort: 32769, PublishMode: 'host' },
          { Protocol: 'tcp', TargetPort: 8000, PublishedPort: 32768, PublishMode: 'host' },
        ],
      },
    });
    expect(publishedHostPort(dual, 8000, 'ipv4')).toBe(32769);
    expect(publishedHostPort(dual, 8000, 'ipv6')).toBe(32768);
    const v4only = task('t', 's', { State: 'running', PortStatus: { Ports: [{ Protocol: 'tcp', TargetPort: 8000, PublishedPort: 32769, PublishMode: 'host' }] } });
    expect(publishedHostPort(v4only, 8000, 'ipv6')).toBeUndefined();
  });

  it('a task still reported running whose desired state is shutdown or remove is abandoned (its node is down or drained)', () => {
    expect(taskAbandoned({ ...task('t', 's', { State: 'running' }), DesiredState: 'shutdown' })).toBe(true);
    expect(taskAbandoned({ ...task('t', 's', { State: 'running' }), DesiredState: 'remove' })).toBe(true);
    expect(taskAbandoned({ ...task('t', 's', { State: 'running' }), DesiredState: 'running' })).toBe(false);
    expect(taskAbandoned({ ...task('t', 's', { State: 'shutdown' }), DesiredState: 'shutdown' })).toBe(false);
  });

  it('SwarmTaskError names the node the task was on', () => {
    const error = new SwarmTaskError('rejected', 'No such image: sha256:abc', null, [], { serviceName: 'openenv-rx-x', nodeHostname: 'worker-3' });
    expect(error.message).toBe("The env's swarm task of service openenv-rx-x is rejected on node worker-3: No such image: sha256:abc");
  });

  it('SwarmTaskError names state, message, exit code and service, then the log tail', () => {
    const error = new SwarmTaskError('failed', 'task: non-zero exit (3)', 3, ['a', 'b'], { serviceName: 'openenv-rx-x' });
    expect(error.code).toBe('ERR_SWARM_TASK');
    expect(error.message).toBe("The env's swarm task of service openenv-rx-x is failed: task: non-zero exit (3) (exit code 3)\n--- last 2 log lines ---\na\nb");
  });
});

describe('node addresses', () => {
  it("the node's advertised address; a manager's own address when that is 0.0.0.0", () => {
    expect(nodeInfoOf({ Status: { Addr: '10.0.0.7' }, Description: { Hostname: 'w1' }, Spec: { Labels: { pool: 'envs' } } }, 'n1')).toEqual({
      id: 'n1',
      hostname: 'w1',
      addr: '10.0.0.7',
      labels: { pool: 'envs' },
    });
    expect(nodeInfoOf({ Status: { Addr: '0.0.0.0' }, ManagerStatus: { Addr: '192.168.1.4:2377' } }, 'n2').addr).toBe('192.168.1.4');
    expect(nodeInfoOf({ Status: { Addr: '0.0.0.0' }, ManagerStatus: { Addr: '[fd00::4]:2377' } }, 'n3').addr).toBe('fd00::4');
    expect(nodeUrl('fd00::4', 30001)).toBe('http://[fd00::4]:30001');
    expect(nodeUrl('10.0.0.7', 30001)).toBe('http://10.0.0.7:30001');
  });

  const fakeNodes = (node: object) => ({ getNode: () => ({ inspect: async () => node }) }) as unknown as Docker;

  it('nodeAddress() maps the node (e.g. to a private name) and rejects an unusable address', async () => {
    const docker = fakeNodes({ Status: { Addr: '10.0.0.7' }, Description: { Hostname: 'w1' } });
    expect(await nodeAddress(docker, 'n1', (node) => `${node.hostname}.internal`)).toBe('w1.internal');
    expect(await nodeAddress(docker, 'n1', undefined)).toBe('10.0.0.7');
    await expect(nodeAddress(fakeNodes({ Status: { Addr: '0.0.0.0' } }), 'n9', undefined)).rejects.toThrow(/no usable address .*nodeAddress/);
  });
});

describe('swarm manager check (fake engine)', () => {
  const engine = (swarm: object) => ({ info: async () => ({ Swarm: swarm }), modem: { socketPath: '/var/run/docker.sock' } }) as unknown as Docker;

  it('an engine outside a swarm, or a worker: SwarmUnavailableError saying what to do', async () => {
    const outside = await swarmManagerInfo(engine({ LocalNodeState: 'inactive' })).catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(SwarmUnavailableError);
    expect((outside as Error).message).toMatch(/is not in a swarm \(state inactive\).*docker swarm init --advertise-addr 127\.0\.0\.1/);
    const worker = await swarmManagerInfo(engine({ LocalNodeState: 'active', ControlAvailable: false, NodeID: 'w' })).catch((e: unknown) => e);
    expect((worker as Error).message).toMatch(/is a swarm worker, not a manager/);
    expect(await swarmManagerInfo(engine({ LocalNodeState: 'active', ControlAvailable: true, NodeID: 'm1' }))).toEqual({ nodeId: 'm1' });
  });
});

describe('resolveSwarmManager', () => {
  it('one client for the default manager and one per options object, so their sessions share a task poller', async () => {
    expect(await resolveSwarmManager(undefined)).toBe(await resolveSwarmManager(undefined));
    const options = { socketPath: '/var/run/docker.sock' };
    const fromOptions = await resolveSwarmManager(options);
    expect(await resolveSwarmManager(options)).toBe(fromOptions);
    expect(fromOptions).not.toBe(await resolveSwarmManager(undefined));
    expect(await resolveSwarmManager(fromOptions)).toBe(fromOptions); // an instance is used as given
  });
});

describe('TaskPoller (fake engine, virtual time)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function fakeEngine(answers: Array<SwarmTask[] | Error>) {
    const calls: unknown[] = [];
    const docker = {
      listTasks: async (options: unknown) => {
        calls.push(options);
        const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      modem: {},
    } as unknown as Docker;
    return { docker, calls };
  }

  it('one request, filtered by our owner labels, answers every watcher; [] for a service without tasks', async () => {
    const { docker, calls } = fakeEngine([[task('t1', 'svc-a', { State: 'running' }), task('t2', 'svc-b', { State: 'pending' })]]);
    const poller = new TaskPoller(docker);
    const seen: Record<string, string[][]> = { a: [], b: [], c: [] };
    const subs = (['a', 'b', 'c'] as const).map((k) => poller.tasksOf(`svc-${k}`, 100).subscribe((tasks) => seen[k]!.push(tasks.map((t) => t.ID))));
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([{ filters: { label: ['openenv-rx=1', `openenv-rx.owner-pid=${process.pid}`, `openenv-rx.owner-host=${os.hostname()}`] } }]);
    expect(seen).toEqual({ a: [['t1']], b: [['t2']], c: [[]] });
    await jest.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(2);
    subs.forEach((s) => s.unsubscribe());
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(2); // nobody watches: no polling
  });

  it('polls at the shortest interval any watcher asks for, and slows down when it leaves', async () => {
    const { docker, calls } = fakeEngine([[]]);
    const poller = new TaskPoller(docker);
    const slow = poller.tasksOf('s1', 1_000).subscribe();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    const fast = poller.tasksOf('s2', 50).subscribe(); // 50 ms after the last poll, not 1 s
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2); // already more than 50 ms since the last poll: at once
    await jest.advanceTimersByTimeAsync(200);
    expect(calls).toHaveLength(6);
    fast.unsubscribe();
    await jest.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(6);
    await jest.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(7);
    slow.unsubscribe();
  });

  it('tolerates two failed polls; the third in a row errors every watcher with a DockerError', async () => {
    const boom = Object.assign(new Error('(HTTP code 503) unavailable'), { statusCode: 503 });
    const { docker } = fakeEngine([boom, boom, [], boom, boom, boom]);
    const poller = new TaskPoller(docker);
    const errors: unknown[] = [];
    let values = 0;
    poller.tasksOf('s', 10).subscribe({ next: () => values++, error: (e: unknown) => errors.push(e) });
    await jest.advanceTimersByTimeAsync(35);
    expect(values).toBe(1);
    expect(errors).toEqual([]);
    await jest.advanceTimersByTimeAsync(40);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DockerError);
    expect((errors[0] as Error).message).toMatch(/list swarm tasks.*503/);
  });
});

describe('service reaping decisions (fake engine)', () => {
  const deadPid = 2 ** 22 + 12_345; // above the default pid_max: never a live process
  const labels = (pid: number, host = os.hostname()) => ({ 'openenv-rx': '1', 'openenv-rx.owner-pid': String(pid), 'openenv-rx.owner-host': host });

  function fakeManager(services: Array<{ ID: string; Spec: { Labels: Record<string, string> } }>, manager = true) {
    const removed: string[] = [];
    const docker = {
      info: async () => ({ Swarm: manager ? { LocalNodeState: 'active', ControlAvailable: true, NodeID: 'm' } : { LocalNodeState: 'inactive' } }),
      listServices: async (options: { filters: { label: string[] } }) => {
        expect(options.filters.label).toEqual(['openenv-rx=1']); // never looks at services we did not label
        return services;
      },
      getService: (id: string) => ({ remove: async () => void removed.push(id) }),
      listContainers: async () => [],
      modem: { socketPath: '/var/run/docker.sock' },
    } as unknown as Docker;
    return { docker, removed };
  }

  it('removes only services of dead owners on this host; all: true removes every labelled one', async () => {
    const services = [
      { ID: 'dead-here', Spec: { Labels: labels(deadPid) } },
      { ID: 'alive-here', Spec: { Labels: labels(process.pid) } },
      { ID: 'dead-elsewhere', Spec: { Labels: labels(deadPid, 'another-host') } },
      { ID: 'no-owner', Spec: { Labels: { 'openenv-rx': '1' } } },
    ];
    const one = fakeManager(services);
    expect(await reapOrphanServices(one.docker)).toEqual({ removed: ['dead-here'], kept: 3 });
    expect(one.removed).toEqual(['dead-here']);
    const all = fakeManager(services);
    expect(await reapOrphanServices(all.docker, { all: true })).toEqual({ removed: ['dead-here', 'alive-here', 'dead-elsewhere', 'no-owner'], kept: 0 });
  });

  it('reapOrphans(): services on a manager by default, skipped on a plain engine, forced by swarm: true', async () => {
    // An empty process registry of its own: reapOrphans reaps processes first.
    const stateDir = mkdtempSync(join(tmpdir(), 'openenv-rx-swarm-units-'));
    const noProcesses = { removed: [], kept: 0 };
    const manager = fakeManager([{ ID: 'dead-here', Spec: { Labels: labels(deadPid) } }]);
    expect(await reapOrphans({ docker: manager.docker, stateDir })).toEqual({ removed: [], kept: 0, processes: noProcesses, services: { removed: ['dead-here'], kept: 0 } });
    const plain = fakeManager([{ ID: 'dead-here', Spec: { Labels: labels(deadPid) } }], false);
    expect(await reapOrphans({ docker: plain.docker, stateDir })).toEqual({ removed: [], kept: 0, processes: noProcesses });
    expect(plain.removed).toEqual([]);
    await expect(reapOrphans({ docker: plain.docker, swarm: true, stateDir })).rejects.toBeInstanceOf(SwarmUnavailableError);
    const off = fakeManager([{ ID: 'dead-here', Spec: { Labels: labels(deadPid) } }]);
    expect(await reapOrphans({ docker: off.docker, swarm: false, stateDir })).toEqual({ removed: [], kept: 0, processes: noProcesses });
    expect(off.removed).toEqual([]);
    rmSync(stateDir, { recursive: true, force: true });
  });
});
