import { ensureBuiltDist } from '../../fixtures/built-dist.js';
import { repoPath } from '../../fixtures/test-image.js';
import { describeWithOpenEnv, requireVenv } from '../../interop/support/openenv-venvs.js';
import { installFaultGuards } from '../support/fault-guards.js';
import { startServerFleet, type ServerFleet } from '../support/server-processes.js';
import { cellName, cellsOf } from './cells.js';
import { runUrlListCell } from './support/library-cell.js';

// `rollouts` over a fixed list of two REAL OpenEnv servers: the pinned `openenv` release's own
// create_app (spec/faults/matrix/support/seq_env.py) under uvicorn, 2 sessions each, shared by the
// cells; the same assertions as the `url list` cells over our own server. Outside CI a missing venv
// (scripts/interop-venv.sh) skips this file with a message; under CI=true it fails.
describeWithOpenEnv('openenv')('fault matrix: rollouts over real OpenEnv servers (uvicorn)', () => {
  installFaultGuards();
  let fleet: ServerFleet;
  beforeAll(async () => {
    const venv = requireVenv('openenv');
    await ensureBuiltDist();
    fleet = await startServerFleet(2, {
      maxSessions: 2,
      command: (port, maxSessions) => ({
        file: venv.bin('uvicorn'),
        // A held step never ends: a restart (SIGTERM) must not wait for it.
        args: ['seq_env:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'info', '--timeout-graceful-shutdown', '1'],
        cwd: repoPath('spec/faults/matrix/support'),
        env: { MAX_CONCURRENT_ENVS: String(maxSessions), PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      }),
      // Cold Python imports (fastapi, pydantic) on a loaded 2-core machine.
      startTimeoutMs: 120_000,
    });
  }, 240_000);
  afterAll(() => fleet?.close());

  let n = 0;
  // The killed server's restart (Python imports) can take well over the default 15 s of waiting for
  // its reuse on a loaded machine: the other server's sessions wait up to 90 s, the run 120 s.
  // Each cell restarts a Python server (~5-10 s here): the default run takes the SIGKILL cell,
  // `npm run soak:faults` (MATRIX_FULL=1) the restart too.
  const full = process.env['MATRIX_FULL'] === '1';
  for (const cell of cellsOf('rollouts', 'OpenEnv url list').filter((c) => full || c.fault === 'server SIGKILL')) {
    it(cellName(cell), () => runUrlListCell(cell, { fleet, tag: `o${n++}`, withinMs: 120_000, reuseWaitMs: 90_000 }), 180_000);
  }
});
