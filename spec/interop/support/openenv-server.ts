import type { Subscription } from 'rxjs';
import { processEndpoint } from '../../../src/runtime/process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../../src/runtime/teardown-registry.js';
import { FIXTURES, type OpenEnvVenv } from './openenv-venvs.js';

export interface StartedServer {
  url: string;
  /** Stops the uvicorn process group (SIGTERM, then SIGKILL) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts `uvicorn <module>:app` from spec/interop/fixtures in the release's venv, as a user would
 * (a child process on 127.0.0.1, a free port), and resolves once `/health` answers.
 */
export function startOpenEnvServer(venv: OpenEnvVenv, module: string, env: Record<string, string> = {}): Promise<StartedServer> {
  return new Promise((resolve, reject) => {
    let subscription: Subscription | undefined = undefined;
    const stop = async () => {
      subscription?.unsubscribe();
      await awaitRuntimeTeardowns();
    };
    subscription = processEndpoint(venv.bin('uvicorn'), [`${module}:app`, '--host', '127.0.0.1', '--port', '{port}', '--log-level', 'warning'], {
      cwd: FIXTURES,
      env: { ...env, PYTHONUNBUFFERED: '1' },
      // Cold Python imports (fastapi, fastmcp) on a loaded 2-core machine.
      startTimeoutMs: 120_000,
    }).subscribe({ next: (endpoint) => resolve({ url: endpoint.url, stop }), error: reject });
  });
}
