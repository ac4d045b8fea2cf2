import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/program.js';
import { gridWorldEnv } from '../../src/envs/grid-world.js';
import { serve, type RunningServer } from '../../src/server/serve.js';

/** A writable that keeps what was written (`text`), posing as a TTY or not. */
export class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

/** Runs the CLI in this process with captured stdout/stderr. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await runCli(argv, { out, err, setExitCode: () => undefined });
  return { code, out: out.text, err: err.text };
}

/**
 * Called in a `describe` block: a real grid_world server on 127.0.0.1 for the block (started in
 * `beforeAll`, closed in `afterAll`) and a temp directory removed with it.
 *
 * @example
 * describe('labels', () => {
 *   const grid = gridWorldForSuite('openenv-rx-labels-');
 *   it('...', async () => {
 *     await cli('rollout', '--url', grid.url, '--out', join(grid.dir, 'x.jsonl'));
 *   });
 * });
 */
export function gridWorldForSuite(dirPrefix: string): { readonly url: string; readonly dir: string } {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await serve(gridWorldEnv, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get url() {
      if (!server) throw new Error('the grid_world server is started in beforeAll: read url inside a test');
      return server.url;
    },
    dir,
  };
}
