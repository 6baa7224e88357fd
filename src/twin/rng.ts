/** Small seeded PRNG (mulberry32): every random choice of the twin is reproducible from a seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** Where the generator stands: equal positions, equal draws from here (a board's tail memo checks that nothing drew). */
  get position(): number {
    return this.state;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /**
   * Eight draws at once: bit i of the result is set when the i-th of eight next() calls would be
   * below `p`, and the generator ends where those calls leave it. A torn erase draws once per bit
   * of every byte of a sector (a million draws for a full 128 KiB one): one call per byte, with
   * the state in a local, is what lets that loop run compiled from a sweep's first point on.
   */
  byteMask(p: number): number {
    let s = this.state;
    let mask = 0;
    for (let bit = 0; bit < 8; bit++) {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), s | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      if (((t ^ (t >>> 14)) >>> 0) / 4294967296 < p) mask |= 1 << bit;
    }
    this.state = s;
    return mask;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}
