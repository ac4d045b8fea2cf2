/**
 * jest's globalSetup (once per run, before any worker): the CLI specs run the built CLI
 * (dist/cli/main.js, as users do) rather than the sources through a TypeScript loader, which
 * doubled each child's start-up CPU. `npm test` has just built; a spec run alone after a source
 * change gets dist/ rebuilt here, once, instead of testing stale output.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default function buildIfStale() {
  const result = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: root, stdio: 'inherit', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`scripts/build-if-stale.mjs failed (${result.error ?? `exit ${result.status}`}): dist/ is not built`);
}
