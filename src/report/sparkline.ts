const BLOCKS = '▁▂▃▄▅▆▇█';

/** Default width of a terminal sparkline, in characters. */
export const SPARKLINE_WIDTH = 40;

/**
 * One line of unicode blocks (▁ lowest .. █ highest) for `values`, at most `width` characters:
 * longer series are cut into `width` equal runs and each run's mean drawn. Non-finite values are
 * left out; an empty series gives `''`, a flat one a row of ▄.
 *
 * @example
 * sparkline([0, 1, 2, 3, 4, 5, 6, 7]); // '▁▂▃▄▅▆▇█'
 */
export function sparkline(values: ArrayLike<number>, width = SPARKLINE_WIDTH): string {
  const finite = Array.from(values).filter(Number.isFinite);
  if (!finite.length || width < 1) return '';
  const points = finite.length <= width ? finite : bucketMeans(finite, width);
  const min = Math.min(...points);
  const max = Math.max(...points);
  if (max === min) return BLOCKS[3]!.repeat(points.length);
  return points.map((v) => BLOCKS[Math.min(7, Math.floor(((v - min) / (max - min)) * 8))]).join('');
}

/** `values` in `n` consecutive runs of (nearly) equal size, each replaced by its mean. */
function bucketMeans(values: number[], n: number): number[] {
  return Array.from({ length: n }, (_, b) => {
    const from = Math.floor((b * values.length) / n);
    const to = Math.floor(((b + 1) * values.length) / n);
    let sum = 0;
    for (let i = from; i < to; i++) sum += values[i]!;
    return sum / (to - from);
  });
}

/**
 * Keeps a bounded sketch of a stream of returns for a sparkline, however long the run: at most
 * `2 × width` bucket means; when full, neighbouring buckets merge (each then covers twice as many
 * values). Memory stays constant; the line drawn is the same shape `sparkline` draws of the full series.
 *
 * @example
 * const returns = new SparklineSampler();
 * for (const r of [1, 5, 2, 8]) returns.add(r);
 * returns.line(); // '▁▅▂█'
 */
export class SparklineSampler {
  private sums: number[] = [];
  private counts: number[] = [];
  private perBucket = 1;
  /** Values added (non-finite ones ignored). */
  count = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly width = SPARKLINE_WIDTH) {}

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.count++;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    const last = this.sums.length - 1;
    if (last >= 0 && this.counts[last]! < this.perBucket) {
      this.sums[last]! += value;
      this.counts[last]!++;
      return;
    }
    if (this.sums.length === 2 * this.width) this.halve();
    this.sums.push(value);
    this.counts.push(1);
  }

  /** The sparkline of everything added so far (`''` before the first value). */
  line(): string {
    return sparkline(this.sums.map((s, i) => s / this.counts[i]!), this.width);
  }

  private halve(): void {
    const sums: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < this.sums.length; i += 2) {
      sums.push(this.sums[i]! + (this.sums[i + 1] ?? 0));
      counts.push(this.counts[i]! + (this.counts[i + 1] ?? 0));
    }
    this.sums = sums;
    this.counts = counts;
    this.perBucket *= 2;
  }
}

/**
 * The summaries' sparkline line: `returns  ▁▅█  (3 episodes, 1 .. 3)`, or undefined without a
 * finite return. `order` is appended to the count when episodes are not laid out by index.
 *
 * @example
 * returnsLine([1, 2, 3]); // 'returns  ▁▅█  (3 episodes, 1 .. 3)'
 */
export function returnsLine(returns: ArrayLike<number> | SparklineSampler, order = ''): string | undefined {
  let line: string;
  let count: number;
  let min: number;
  let max: number;
  if (returns instanceof SparklineSampler) {
    ({ count, min, max } = returns);
    line = returns.line();
  } else {
    const finite = Array.from(returns).filter(Number.isFinite);
    count = finite.length;
    min = Math.min(...finite);
    max = Math.max(...finite);
    line = sparkline(finite);
  }
  if (!count) return undefined;
  return `returns  ${line}  (${count} episodes${order}, ${Number(min.toPrecision(6))} .. ${Number(max.toPrecision(6))})`;
}
