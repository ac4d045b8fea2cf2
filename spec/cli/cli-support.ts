import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/program.js';

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
