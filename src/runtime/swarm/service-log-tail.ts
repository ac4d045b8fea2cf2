import type Docker from 'dockerode';
import { demuxedLogTail } from '../docker/log-tail.js';

/**
 * The last `lines` lines of `service logs` (the manager fetches them from the task's node).
 * Never rejects and gives up after `timeoutMs`: a tail is a diagnostic, so a failure yields `[]`.
 */
export async function serviceLogTail(docker: Docker, serviceId: string, lines: number, tty: boolean, timeoutMs = 5_000): Promise<string[]> {
  if (lines <= 0) return [];
  try {
    const raw: unknown = await docker
      .getService(serviceId)
      .logs({ stdout: true, stderr: true, follow: false, tail: lines, abortSignal: AbortSignal.timeout(Math.round(timeoutMs)) });
    return await demuxedLogTail(docker, raw, lines, tty);
  } catch {
    return [];
  }
}
