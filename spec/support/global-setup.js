/**
 * jest's globalSetup (once per run, before any worker):
 *
 * - builds dist/ when older than src/: the CLI specs run the built CLI (dist/cli/main.js, as
 *   users do) rather than the sources through a TypeScript loader, which doubled each child's
 *   start-up CPU. `npm test` has just built; a spec run alone after a source change gets dist/
 *   rebuilt here, once, instead of testing stale output.
 * - makes the run's folder (OPENENV_RX_TEST_RUN_DIR, inherited by the workers) where the first
 *   spec file that needs a test image leaves its tag for the others (spec/fixtures/test-image.ts);
 *   global-teardown.js removes it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default function globalSetup() {
  const result = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: root, stdio: 'inherit', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`scripts/build-if-stale.mjs failed (${result.error ?? `exit ${result.status}`}): dist/ is not built`);
  process.env['OPENENV_RX_TEST_RUN_DIR'] = mkdtempSync(join(tmpdir(), 'openenv-rx-test-run-'));
}
