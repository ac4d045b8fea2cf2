import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-test-image.sh', import.meta.url));

/**
 * Runs the build script in its own process group, so that a timeout, a failing section or Ctrl-C
 * stops the script and everything it started (npm run build, docker build), not just bash.
 * Resolves with the last line of stdout (the tag).
 */
function run(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const kill = onCleanup(() => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    });
    const timer = setTimeout(() => void kill(), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      void kill();
      reject(new Error(`${SCRIPT} could not start: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      void kill(); // unregisters (the group is gone)
      if (code !== 0) return reject(new Error(`${SCRIPT} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`));
      const tag = stdout.trim().split('\n').pop()?.trim();
      if (!tag) return reject(new Error(`${SCRIPT} printed no image tag`));
      resolve(tag);
    });
  });
}

/** Which image the containers section measured, and why. */
export interface TestImage {
  tag: string;
  variant: 'server' | 'fixture';
  /** Set when the full server image could not be built and the fixture stood in. */
  fallbackReason?: string;
}

/**
 * Builds (or finds, the script is idempotent) the image of the containers section: the full
 * server image (our built-in echo over dist/), or with `preferFixture` (smoke runs: no TypeScript
 * build) the stand-in fixture server. Falls back to the fixture when the full build fails.
 */
export async function testImage(preferFixture: boolean): Promise<TestImage> {
  if (preferFixture) return { tag: await run(['--fixture'], 120_000), variant: 'fixture' };
  try {
    return { tag: await run([], 240_000), variant: 'server' };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { tag: await run(['--fixture'], 120_000), variant: 'fixture', fallbackReason: reason };
  }
}
