import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awaitRuntimeTeardowns } from '../../../src/runtime/teardown-registry.js';
import { ensureBuiltDist } from '../../fixtures/built-dist.js';
import { installFaultGuards } from '../support/fault-guards.js';
import { cellName, cellsOf, type Cell } from './cells.js';
import { processServers, runStartedServersCell } from './support/library-cell.js';

// The library drivers over servers the pool starts itself: `perServer` of real `openenv-rx serve`
// processes (2 sessions each). The fault hits the first server the pool started. Each cell starts
// its own servers (~6 s here), so the default run takes the SIGKILL row of each driver, and the
// delayed reply of rollouts (a refusal while the server still holds the abandoned slot must not
// lower its limit); the others run under `npm run soak:faults` (MATRIX_FULL=1).
const FULL = process.env['MATRIX_FULL'] === '1';
const inDefaultRun = (cell: Cell) => FULL || cell.fault === 'server SIGKILL' || (cell.driver === 'rollouts' && cell.fault === 'reply delayed past the timeout');
describe('fault matrix: rollouts, vectorEnv and collect over servers the pool starts', () => {
  installFaultGuards();
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-matrix-p-'));
    dirs.push(dir);
    return dir;
  };
  beforeAll(() => ensureBuiltDist(), 120_000);
  afterEach(() => awaitRuntimeTeardowns());
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  let n = 0;
  for (const driver of ['rollouts', 'vectorEnv', 'collect'] as const) {
    for (const cell of cellsOf(driver, 'processes').filter(inDefaultRun)) {
      it(cellName(cell), async () => {
        const ledgerDir = tempDir();
        await runStartedServersCell(cell, processServers(ledgerDir), { tag: `p${n++}`, ledgerDir, ...(driver === 'collect' ? { out: join(tempDir(), 'out') } : {}) });
      }, 90_000);
    }
  }
});
