import { CollectProgressBar } from '../../src/cli/collect/collect-progress.js';
import type { CollectProgress } from '../../src/fleet/collect.js';
import { Capture as Sink } from './cli-support.js';

const at = (done: number, failed = 0): CollectProgress => ({
  toRun: 20,
  recorded: done - failed,
  failed,
  steps: done * 10,
  meanReturn: done > failed ? 1.5 : Number.NaN,
  elapsedMs: done * 500,
  pool: undefined,
});

describe('collect progress line', () => {
  it('not a TTY: one line per decile with episodes/s, failures and the mean return', () => {
    const sink = new Sink(false);
    const bar = new CollectProgressBar(sink);
    for (let done = 1; done <= 20; done++) bar.show(at(done, done > 10 ? 1 : 0));
    const lines = sink.text.trim().split('\n');
    expect(lines).toHaveLength(11); // the first episode, then each decile
    expect(lines.at(-1)).toBe('[########################] 20/20 episodes  1 failed  2.00 episodes/s  mean return 1.5  200 steps');
    expect(lines[0]).toContain('1/20 episodes  0 failed');
  });

  it('on a TTY: redrawn in place, a dash before the first recorded episode, a newline at the end', () => {
    const sink = new Sink(true);
    const bar = new CollectProgressBar(sink);
    bar.show(at(1, 1), true);
    bar.show(at(20), true);
    bar.finish();
    expect(sink.text).toBe(
      '\r[#.......................] 1/20 episodes  1 failed  2.00 episodes/s  mean return -  10 steps\x1b[K' +
        '\r[########################] 20/20 episodes  0 failed  2.00 episodes/s  mean return 1.5  200 steps\x1b[K\n',
    );
  });
});
