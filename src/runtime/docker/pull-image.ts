import type Docker from 'dockerode';
import { DockerError, type ErrorContext } from '../../errors/index.js';
import { emitRuntimeWarning } from '../report-teardown-error.js';
import { dockerStatus, toDockerError } from './docker-client.js';

/** `never` (default): use the local image only. `if-missing`: pull when it is not present. `always`: pull every time. */
export type PullPolicy = 'never' | 'if-missing' | 'always';

/** One line of the engine's pull progress (`{status, id?, progress?, progressDetail?}`). */
export interface PullProgressEvent {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Makes sure `image` is present according to `policy`. A pull is followed to its end with
 * `modem.followProgress`, each event passed to `onProgress`; an error event in the stream (the
 * engine answers 200 and reports failures inline) becomes a DockerError.
 */
export async function ensureImage(
  docker: Docker,
  image: string,
  policy: PullPolicy,
  onProgress: ((event: PullProgressEvent) => void) | undefined,
  context: ErrorContext = {},
): Promise<void> {
  if (policy === 'never') return;
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (error) {
    if (dockerStatus(error) !== 404) throw await toDockerError(error, `inspect image ${image}`, docker, context);
  }
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (error) {
    throw await toDockerError(error, `pull ${image}`, docker, context);
  }
  const events = await new Promise<PullProgressEvent[]>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error, output) => (error ? reject(error) : resolve(output as PullProgressEvent[])),
      (event: PullProgressEvent) => {
        try {
          onProgress?.(event);
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
