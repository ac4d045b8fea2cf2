/** jest's globalTeardown: removes the run's folder that global-setup.js made. */
import { rmSync } from 'node:fs';

export default function globalTeardown() {
  const dir = process.env['OPENENV_RX_TEST_RUN_DIR'];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
