import type Docker from 'dockerode';
import { DockerError, type ErrorContext } from '../../errors/index.js';
import { emitRuntimeWarning } from '../report-teardown-error.js';
import { dockerStatus, toDockerError } from './docker-client.js';

/**
 * `never` (default): use the local image only. `if-missing`: pull when it is not present.
 * `always`: pull before every start.
 */
export type PullPolicy = 'never' | 'if-missing' | 'always';

export const PULL_POLICIES: readonly PullPolicy[] = ['never', 'if-missing', 'always'];

/**
 * One line of the engine's pull progress, as the engine sends it, plus the `image` being pulled.
 * Typical sequence: `{status: 'Pulling from library/x', id: 'latest'}`, per layer
 * `{status: 'Pulling fs layer' | 'Waiting' | 'Downloading' | 'Extracting' | 'Pull complete', id: '<layer>',
 * progressDetail: {current, total}, progress: '[==>   ] 1.2MB/5MB'}`, then `{status: 'Digest: sha256:...'}`
 * and `{status: 'Status: Downloaded newer image for x'}`. A failure is `{error, errorDetail: {message}}`.
 */
export interface PullProgressEvent {
  /** The image reference being pulled (added by openenv-rx). */
  image: string;
  status?: string;
  /** Layer id (or the tag, for the first line). */
  id?: string;
  /** The engine's rendered progress bar. */
  progress?: string;
  /** Bytes so far and in total for this layer (`Downloading`, `Extracting`). */
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

async function isPresent(docker: Docker, image: string, context: ErrorContext): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (dockerStatus(error) === 404) return false;
    throw await toDockerError(error, `inspect image ${image}`, docker, context);
  }
}

/**
 * Makes sure `image` is present according to `policy`. A pull is followed to its end with
 * `modem.followProgress`, each event passed to `onProgress`; an error event in the stream (the
 * engine answers 200 and reports failures inline) becomes a DockerError. `signal` aborts the
 * pull request (the promise then rejects; callers that aborted ignore it).
 */
export async function ensureImage(
  docker: Docker,
  image: string,
  policy: PullPolicy,
  onProgress: ((event: PullProgressEvent) => void) | undefined,
  context: ErrorContext = {},
  signal?: AbortSignal,
): Promise<void> {
  if (policy === 'never') return;
  if (policy === 'if-missing' && (await isPresent(docker, image, context))) return;
  signal?.throwIfAborted();
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image, signal ? { abortSignal: signal } : {});
  } catch (error) {
    throw await toDockerError(error, `pull ${image}`, docker, context);
  }
  const events = await new Promise<PullProgressEvent[]>((resolve, reject) => {
    // An abort destroys the response: make sure the promise settles even if the stream only closes.
    const onAbort = (): void => reject(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    docker.modem.followProgress(
      stream,
      (error, output) => {
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(output as PullProgressEvent[]);
      },
      (event: Omit<PullProgressEvent, 'image'>) => {
        try {
          onProgress?.({ image, ...event });
        } catch (callbackError) {
          // A throwing callback must not become an uncaught exception inside the stream.
          emitRuntimeWarning(callbackError, 'OPENENV_RX_ON_PROGRESS');
        }
      },
    );
  }).catch(async (error: unknown) => {
    throw await toDockerError(error, `pull ${image}`, docker, context);
  });
  const failed = events.find((e) => e.error || e.errorDetail);
  if (failed) {
    throw new DockerError(`Docker could not pull ${image}: ${failed.error ?? failed.errorDetail?.message}`, context);
  }
}
