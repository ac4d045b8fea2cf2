import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuiltDist } from '../../fixtures/built-dist.js';
import { installFaultGuards } from '../support/fault-guards.js';
import { startServerFleet, type ServerFleet } from '../support/server-processes.js';
import { cellName, cellsOf } from './cells.js';
import { runUrlListCell } from './support/library-cell.js';

// The library drivers over a fixed list of two real `openenv-rx serve` processes (shared by every
// cell of this file; each cell leaves both running): one cell per fault of the matrix's table.
describe('fault matrix: rollouts, vectorEnv and collect over a fixed URL list', () => {
  installFaultGuards();
  let fleet: ServerFleet;
  const dirs: string[] = [];
  beforeAll(async () => {
    await ensureBuiltDist();
    fleet = await startServerFleet(2, { maxSessions: 2 });
  }, 120_000);
  afterAll(async () => {
    await fleet?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  for (const driver of ['rollouts', 'vectorEnv', 'collect'] as const) {
    for (const cell of cellsOf(driver, 'url list')) {
      it(cellName(cell), async () => {
        const out = driver === 'collect' ? join(mkdtempSync(join(tmpdir(), 'openenv-rx-matrix-out-')), 'out') : undefined;
        if (out) dirs.push(join(out, '..'));
        await runUrlListCell(cell, { fleet, tag: `c${n++}`, ...(out ? { out } : {}) });
      }, 90_000);
    }
  }
});
