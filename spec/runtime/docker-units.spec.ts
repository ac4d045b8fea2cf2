import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { DockerError } from '../../src/errors/index.js';
import { buildCreateOptions } from '../../src/runtime/docker/create-options.js';
import { deepMerge } from '../../src/runtime/docker/deep-merge.js';
import { containerLogTail, lastLines } from '../../src/runtime/docker/log-tail.js';
import { publishedUrl } from '../../src/runtime/docker/port-mapping.js';
import { ensureImage, type PullProgressEvent } from '../../src/runtime/docker/pull-image.js';

// A client that never dials: only its modem's demuxStream / followProgress are used.
const modemOnly = new Docker({ socketPath: '/tmp/openenv-rx-unused.sock' });

/** One frame of Docker's multiplexed log format: [stream, 0, 0, 0, size (BE u32)] + payload. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('buildCreateOptions', () => {
  const labels = { 'openenv-rx': '1', 'openenv-rx.session': 's' };

  it('publishes the container port on 127.0.0.1 with a Docker-chosen host port', () => {
    const body = buildCreateOptions({ image: 'img', containerPort: 9000, labels, cmd: ['serve'] });
    expect(body).toEqual({
      Image: 'img',
      Cmd: ['serve'],
      ExposedPorts: { '9000/tcp': {} },
      HostConfig: { PortBindings: { '9000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      Labels: labels,
    });
  });

  it('merges createOptions deeply: nested HostConfig kept, Env concatenated, our labels always win', () => {
    const createOptions: Docker.ContainerCreateOptions = {
      HostConfig: { Binds: ['/data:/data:ro'], Memory: 1024, NetworkMode: 'bridge' },
      ExposedPorts: { '9001/tcp': {} },
      Env: ['A=1', 'B=1'],
      Labels: { team: 'rl', 'openenv-rx': 'spoofed' },
      Image: 'other',
    };
    const before = JSON.stringify(createOptions);
    const body = buildCreateOptions({ image: 'img', containerPort: 8000, labels, env: { B: '2' }, createOptions });
    expect(body.HostConfig).toEqual({
      PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      Binds: ['/data:/data:ro'],
      Memory: 1024,
      NetworkMode: 'bridge',
    });
    expect(body.ExposedPorts).toEqual({ '8000/tcp': {}, '9001/tcp': {} });
    expect(body.Env).toEqual(['A=1', 'B=1', 'B=2']);
    expect(body.Labels).toEqual({ team: 'rl', 'openenv-rx': '1', 'openenv-rx.session': 's' });
    expect(body.Image).toBe('img');
    expect(JSON.stringify(createOptions)).toBe(before);
  });

  it('deepMerge replaces arrays and scalars, skips undefined, leaves inputs untouched', () => {
    const base = { a: { b: [1], c: 1 }, d: 'x' };
    expect(deepMerge(base, { a: { b: [2] }, d: undefined })).toEqual({ a: { b: [2], c: 1 }, d: 'x' });
    expect(base).toEqual({ a: { b: [1], c: 1 }, d: 'x' });
  });
});

describe('publishedUrl', () => {
  const inspect = (ports: unknown, networkMode = 'default') =>
    ({ HostConfig: { NetworkMode: networkMode }, NetworkSettings: { Ports: ports } }) as unknown as Docker.ContainerInspectInfo;

  it('reads the loopback binding back', () => {
    expect(publishedUrl(inspect({ '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }] }), 8000)).toBe('http://127.0.0.1:49153');
  });
  it('prefers 127.0.0.1 and maps wildcard binds to loopback', () => {
    expect(publishedUrl(inspect({ '8000/tcp': [{ HostIp: '0.0.0.0', HostPort: '1' }] }), 8000)).toBe('http://127.0.0.1:1');
    expect(publishedUrl(inspect({ '8000/tcp': [{ HostIp: '::', HostPort: '1' }, { HostIp: '127.0.0.1', HostPort: '2' }] }), 8000)).toBe('http://127.0.0.1:2');
  });
  it('is undefined when the port is not published (exited container), host network uses the port itself', () => {
    expect(publishedUrl(inspect({}), 8000)).toBeUndefined();
    expect(publishedUrl(inspect({ '8000/tcp': null }), 8000)).toBeUndefined();
    expect(publishedUrl(inspect({}, 'host'), 8000)).toBe('http://127.0.0.1:8000');
  });
});

describe('log tail', () => {
  const fakeContainer = (logs: () => Promise<unknown>) => ({ logs }) as unknown as Docker.Container;

  it('demultiplexes stdout and stderr in order and keeps the last lines', async () => {
    const buffer = Buffer.concat([frame(1, 'one\ntw'), frame(2, 'o\nthree\n'), frame(1, 'four\n')]);
    expect(await containerLogTail(modemOnly, fakeContainer(async () => buffer), 3)).toEqual(['two', 'three', 'four']);
  });

  it('takes TTY output as is, and passes unframed output through demuxStream', async () => {
    expect(await containerLogTail(modemOnly, fakeContainer(async () => Buffer.from('a\r\nb\n')), 50, true)).toEqual(['a', 'b']);
    expect(await containerLogTail(modemOnly, fakeContainer(async () => Buffer.from('plain text line\nsecond\n')), 50)).toEqual(['plain text line', 'second']);
  });

  it('never rejects: a failed logs call yields no lines', async () => {
    expect(await containerLogTail(modemOnly, fakeContainer(async () => Promise.reject(new Error('gone'))), 50)).toEqual([]);
  });

  it('lastLines drops the empty piece after a final newline', () => {
    expect(lastLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
    expect(lastLines('', 5)).toEqual([]);
  });
});

describe('ensureImage', () => {
  function fakeEngine(present: boolean, progressLines: object[]) {
    const pulls: string[] = [];
    const docker = {
      modem: modemOnly.modem,
      getImage: () => ({
        inspect: async () => {
          if (present) return {};
          throw Object.assign(new Error('(HTTP code 404) no such image'), { statusCode: 404 });
        },
      }),
      pull: async (image: string) => {
        pulls.push(image);
        return Readable.from(progressLines.map((l) => `${JSON.stringify(l)}\n`));
      },
    } as unknown as Docker;
    return { docker, pulls };
  }

  it("'never' does not even look", async () => {
    const { docker, pulls } = fakeEngine(false, []);
    await ensureImage(docker, 'img', 'never', undefined);
    expect(pulls).toEqual([]);
  });

  it("'if-missing' skips a present image", async () => {
    const { docker, pulls } = fakeEngine(true, []);
    await ensureImage(docker, 'img', 'if-missing', undefined);
    expect(pulls).toEqual([]);
  });

  it("'if-missing' pulls an absent image, reporting each progress event", async () => {
    const lines = [{ status: 'Pulling from library/img', id: 'latest' }, { status: 'Downloading', progressDetail: { current: 5, total: 10 } }, { status: 'Status: Downloaded newer image for img:latest' }];
    const { docker, pulls } = fakeEngine(false, lines);
    const events: PullProgressEvent[] = [];
    await ensureImage(docker, 'img', 'if-missing', (e) => events.push(e));
    expect(pulls).toEqual(['img']);
    expect(events).toEqual(lines.map((line) => ({ image: 'img', ...line })));
  });

  it("'always' pulls even a present image", async () => {
    const { docker, pulls } = fakeEngine(true, [{ status: 'Status: Image is up to date for img:latest' }]);
    await ensureImage(docker, 'img', 'always', undefined);
    expect(pulls).toEqual(['img']);
  });

  it('an error event inside the 200 stream is a DockerError with the image in context', async () => {
    const { docker } = fakeEngine(false, [{ status: 'Pulling' }, { error: 'manifest unknown', errorDetail: { message: 'manifest unknown' } }]);
    const failure = ensureImage(docker, 'img', 'if-missing', undefined, { image: 'img' });
    await expect(failure).rejects.toBeInstanceOf(DockerError);
    await expect(failure).rejects.toMatchObject({ message: expect.stringContaining('manifest unknown'), context: { image: 'img' } });
  });
});
