import type Docker from 'dockerode';
import { dockerStatus } from './docker-client.js';

/** 304: already stopped; 404: already gone; 409: removal already in progress (AutoRemove). */
const ALREADY_DONE = new Set([304, 404, 409]);

/**
 * `docker stop -t graceS` then `docker rm -f -v` (graceS 0: the forced removal alone kills it).
 * Idempotent: a container that is already stopped, being removed or gone is fine. A failed stop
 * still attempts the forced removal; the first real error is rethrown afterwards.
 */
export async function stopAndRemoveContainer(container: Docker.Container, graceS: number): Promise<void> {
  let stopError: unknown;
  if (graceS > 0) {
    try {
      await container.stop({ t: graceS });
    } catch (error) {
      if (!ALREADY_DONE.has(dockerStatus(error) ?? 0)) stopError = error;
    }
  }
  try {
    await container.remove({ force: true, v: true });
  } catch (error) {
    if (!ALREADY_DONE.has(dockerStatus(error) ?? 0)) throw error;
  }
  if (stopError) throw stopError;
}
