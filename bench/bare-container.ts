import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import type Docker from 'dockerode';
import { sessionLabels } from '../src/runtime/docker/container-labels.js';
import { loopbackPortBinding, publishedUrl } from '../src/runtime/docker/port-mapping.js';
import { onCleanup } from './cleanup.js';
import WebSocket from 'ws';
import { wsUrlOf } from './bare-ws-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One `GET /health`: true on 200, false on refusal or any other answer. */
export function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(`${url}/health`, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Opens `/ws` (with `headers`, e.g. a bearer token), sends a reset, resolves on the observation frame, closes. */
export function bareReset(url: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrlOf(url), { perMessageDeflate: false, headers });
    socket.once('open', () => socket.send('{"type":"reset","data":{}}'));
    socket.once('message', (data) => {
      const reply = JSON.parse(data.toString()) as { type?: string };
      socket.close(1000);
      if (reply.type === 'observation') resolve();
      else reject(new Error(`bare reset: unexpected reply ${data.toString().slice(0, 200)}`));
    });
    socket.once('error', reject);
  });
}

/** True once `inspect` answers 404: the container is gone. */
export function containerGone(docker: Docker, id: string): Promise<boolean> {
  return docker
    .getContainer(id)
    .inspect()
    .then(
      () => false,
      (error: { statusCode?: number }) => error.statusCode === 404,
    );
}

/** A container the baseline started, with the stop + remove that ends it. */
export interface BareContainer {
  url: string;
  /** `docker rm -f` (graceS 0), else `docker stop -t graceS` then `docker rm`; resolves once it is gone. */
  remove(graceS: number): Promise<void>;
}

/**
 * The containers baseline: bare dockerode create (same labels and loopback port binding as
 * openenv-rx, so the reaper would sweep it after a crash) + start + inspect for the port +
 * `/health` polled every `pollMs` + one bare `/ws` reset. What a hand-written client does.
 */
export async function bareContainerToFirstReset(docker: Docker, image: string, pollMs: number): Promise<BareContainer> {
  const container = await docker.createContainer({
    Image: image,
    Labels: sessionLabels(randomUUID()),
    ...loopbackPortBinding(8000),
  });
  let removed = false;
  const cleanup = onCleanup(() => (removed ? undefined : container.remove({ force: true }).catch(() => undefined)));
  await container.start();
  const url = publishedUrl(await container.inspect(), 8000);
  if (!url) throw new Error('bare container: port 8000 not published');
  const deadline = Date.now() + 30_000;
  while (!(await healthy(url))) {
    if (Date.now() > deadline) throw new Error(`bare container: ${url}/health not healthy after 30 s`);
    await sleep(pollMs);
  }
  await bareReset(url);
  return {
    url,
    remove: async (graceS) => {
      if (graceS > 0) await container.stop({ t: graceS }).catch(() => undefined);
      await container.remove({ force: true });
      removed = true;
      void cleanup(); // unregisters only: nothing is left to remove
    },
  };
}
