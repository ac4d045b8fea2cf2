import { Writable } from 'node:stream';
import { renderTable, formatNumber } from '../../src/cli/format/table.js';
import { ProgressBar } from '../../src/cli/format/progress-bar.js';

class Sink extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

describe('renderTable', () => {
  it('aligns text left and numbers right under a rule', () => {
    expect(renderTable(['env', 'mean'], [['echo', 1.5], ['grid_world', -0.25]])).toBe(
      ['env          mean', '----------  -----', 'echo          1.5', 'grid_world  -0.25'].join('\n'),
    );
  });
  it('formats numbers with at most 3 decimals', () => {
    expect(formatNumber(1 / 3)).toBe('0.333');
    expect(formatNumber(2)).toBe('2');
    expect(formatNumber(NaN)).toBe('NaN');
  });
});

describe('ProgressBar', () => {
  it('prints one line per decile when not a TTY', () => {
    const sink = new Sink(false);
    const bar = new ProgressBar(sink);
    for (let done = 0; done <= 20; done++) bar.update({ done, total: 20, steps: done * 10, elapsedMs: 1000 });
    const lines = sink.text.trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toContain('20/20 episodes  200 steps  200 steps/s');
  });
  it('redraws in place on a TTY', () => {
    const sink = new Sink(true);
    const bar = new ProgressBar(sink);
    bar.update({ done: 1, total: 2, steps: 5, elapsedMs: 10 }, true);
    bar.update({ done: 2, total: 2, steps: 9, elapsedMs: 20 }, true);
    bar.finish();
    expect(sink.text.startsWith('\r[')).toBe(true);
    expect(sink.text.split('\r')).toHaveLength(3);
    expect(sink.text.endsWith('\n')).toBe(true);
  });
});
