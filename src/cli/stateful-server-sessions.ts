import { firstValueFrom } from 'rxjs';
import { serverBaseUrl } from '../internal/server-url.js';
import { probeTransportKind } from '../transport/open-transport.js';
import type { Io } from './io.js';
import { targetRequest, type TargetFlags } from './options/target-options.js';

/**
 * The sessions a command runs on its target: `sessions`, except on a `--url` that is an OpenEnv
 * generation-A server (no `/schema`: its HTTP routes step ONE shared env, so parallel sessions
 * would step each other's episodes), where it is 1 and a note on stderr says so. A probe that
 * fails changes nothing: the run itself reports why the server cannot be reached.
 */
export async function sessionsForTarget(flags: TargetFlags, sessions: number, io: Io, command: string): Promise<number> {
  if (!flags.url || sessions <= 1 || flags.transport === 'ws') return sessions;
  let kind: string;
  try {
    kind = await firstValueFrom(probeTransportKind(flags.url, { headers: targetRequest(flags).headers }));
  } catch {
    return sessions;
  }
  if (kind !== 'http') return sessions;
  io.err.write(
    `${command}: ${serverBaseUrl(flags.url)} is an OpenEnv generation-A server (no /schema, no /ws): its HTTP routes step one shared env, ` +
      `so parallel sessions would step each other's episodes; running 1 session instead of ${sessions}\n`,
  );
  return 1;
}
