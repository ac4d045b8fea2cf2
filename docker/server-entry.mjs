// Container entry point: serves one built-in env of openenv-rx (OPENENV_ENV, default `echo`) on
// 0.0.0.0:PORT (default 8000), as OpenEnv images do, and closes cleanly on SIGTERM / SIGINT.
// As PID 1 node installs no default signal handlers, so without these `docker stop` would wait
// out its whole grace period. Other settings come from the environment the same way as for
// `node dist/server/serve-builtin.js`: MAX_CONCURRENT_ENVS, IDLE_TIMEOUT_MS, OPENENV_TOKEN.
import { serveBuiltin, serveOptionsFromEnv } from '../dist/server/serve-builtin.js';

const name = process.env.OPENENV_ENV ?? 'echo';
try {
  const options = serveOptionsFromEnv({ ...process.env, HOST: process.env.HOST || '0.0.0.0', PORT: process.env.PORT || '8000' });
  const server = await serveBuiltin(name, options);
  process.stdout.write(`openenv-rx: serving ${name} on ${options.host}:${server.port}\n`);
  let closing = false;
  const stop = (signal) => {
    if (closing) return;
    closing = true;
    process.stdout.write(`openenv-rx: ${signal}, closing\n`);
    server.close().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`openenv-rx: close failed: ${error?.message ?? error}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  process.stderr.write(`openenv-rx: cannot serve ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
