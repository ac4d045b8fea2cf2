/**
 * A set of episode indices as a bitset: one bit per index up to the largest one added, so a
 * resume over a million recorded episodes holds 125 kB instead of a million id strings.
 *
 * @example
 * const done = new EpisodeIndexSet();
 * done.add(42); // true (new)
 * done.has(42); // true
 */
export class EpisodeIndexSet {
  private words = new Uint32Array(64);
  private count = 0;

  /** Distinct indices added. */
  get size(): number {
    return this.count;
  }

  /** Adds `index` (a non-negative integer); false if it was already there. */
  add(index: number): boolean {
    const word = index >>> 5;
    if (word >= this.words.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.words.length * 2));
      grown.set(this.words);
      this.words = grown;
    }
    const bit = 1 << (index & 31);
    if ((this.words[word]! & bit) !== 0) return false;
    this.words[word]! |= bit;
    this.count++;
    return true;
  }

  has(index: number): boolean {
    const word = index >>> 5;
    return word < this.words.length && (this.words[word]! & (1 << (index & 31))) !== 0;
  }
}
