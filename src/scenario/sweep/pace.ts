/**
 * What the sessions of one sweep tell each other through shared memory: the block counters they
 * claim from (./share.ts: blocks of torn cuts, which only a session that recorded the update can
 * load, and the other blocks, which any session can), and the engine's own thread's pace, so a
 * worker can tell whether recording the update itself, to take torn blocks too, is worth it.
 */

/** Int32 slots of the shared buffer. */
const NEXT_BLOCK = 0;
const NEXT_TORN = 1;
/** Blocks of each kind, plus one (0: the engine's thread has not recorded yet). */
const BLOCKS = 2;
const TORN_BLOCKS = 3;
/** ms the engine's thread took to open its session (modules, rig, the recording): what a worker's recording costs too. */
const OPEN_MS = 4;
/** Blocks the engine's thread has finished, and the ms they took. */
const DONE_BLOCKS = 5;
const DONE_MS = 6;
const SLOTS = 7;
/** Blocks a sweep claimed by stretches may have (one claim byte each, after the counters). */
export const MAX_STRETCH_BLOCKS = 1 << 16;

export class SweepPace {
  private readonly slots: Int32Array;
  /** Per block, 1 once a session claimed it by stretches (claimStretch). */
  private readonly claimed: Uint8Array;

  /** Over `buffer` (from another thread), or a new one. */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * 4 + MAX_STRETCH_BLOCKS)) {
    this.slots = new Int32Array(buffer, 0, SLOTS);
    this.claimed = new Uint8Array(buffer, SLOTS * 4, MAX_STRETCH_BLOCKS);
  }

  /** The next block any session can run (each is taken once, by whichever session asks first). */
  claim(): number {
    return Atomics.add(this.slots, NEXT_BLOCK, 1);
  }

  /**
   * The next of `total` blocks for a session that keeps to stretches of consecutive blocks (a
   * board's recoveries share played-back tails only within one session: see ./share.ts's
   * `stretches`), or -1 when every block is taken. The block after `last` if nobody has it; a first
   * claim (`last` undefined) starts at `home`; otherwise the session steals the middle of the
   * longest run of blocks nobody has (its start, if the run is two blocks or one), so whoever runs
   * up to that run keeps the first half of it.
   */
  claimStretch(last: number | undefined, total: number, home = 0): number {
    if (total > MAX_STRETCH_BLOCKS) throw new RangeError(`a sweep of ${total} blocks: at most ${MAX_STRETCH_BLOCKS} are claimed by stretches`);
    const want = last === undefined ? home : last + 1;
    if (want < total && this.take(want)) return want;
    for (;;) {
      let best = { from: 0, length: 0 };
      for (let b = 0; b < total;) {
        if (Atomics.load(this.claimed, b)) {
          b++;
          continue;
        }
        let end = b;
        while (end < total && !Atomics.load(this.claimed, end)) end++;
        if (end - b > best.length) best = { from: b, length: end - b };
        b = end;
      }
      if (!best.length) return -1;
      const pick = best.length > 2 ? best.from + (best.length >> 1) : best.from;
      if (this.take(pick)) return pick;
    }
  }

  private take(block: number): boolean {
    return Atomics.compareExchange(this.claimed, block, 0, 1) === 0;
  }

  /** The next block of torn cuts (for sessions that recorded the update). */
  claimTorn(): number {
    return Atomics.add(this.slots, NEXT_TORN, 1);
  }

  /** The engine's thread: its session is open (after `openMs`) and the sweep has these blocks. */
  opened(openMs: number, blocks: number, tornBlocks: number): void {
    Atomics.store(this.slots, OPEN_MS, Math.ceil(openMs));
    Atomics.store(this.slots, TORN_BLOCKS, tornBlocks + 1);
    Atomics.store(this.slots, BLOCKS, blocks + 1);
  }

  /** The engine's thread finished a block in `ms`. */
  blockDone(ms: number): void {
    Atomics.add(this.slots, DONE_MS, Math.ceil(ms));
    Atomics.add(this.slots, DONE_BLOCKS, 1);
  }

  /** Blocks nobody has taken yet (both kinds; undefined until the engine's thread has recorded). */
  left(): { blocks: number; torn: number } | undefined {
    const blocks = Atomics.load(this.slots, BLOCKS) - 1;
    if (blocks < 0) return undefined;
    const torn = Atomics.load(this.slots, TORN_BLOCKS) - 1;
    let taken = Atomics.load(this.slots, NEXT_BLOCK);
    for (let b = 0; b < Math.min(blocks, MAX_STRETCH_BLOCKS); b++) taken += Atomics.load(this.claimed, b);
    return { blocks: Math.max(0, blocks - taken), torn: Math.max(0, torn - Atomics.load(this.slots, NEXT_TORN)) };
  }

  /**
   * Whether a worker should record the update to take torn blocks (`anyBlock`: blocks of every
   * mode, which only a session that recorded can run: see ./share.ts's `stretches`): no while every such
   * block is taken, or while the blocks left would take the engine's thread (at its pace so far)
   * less time than its own opening took. Yes while the engine's thread has not told.
   */
  worthRecording(anyBlock = false): boolean {
    const left = this.left();
    if (!left) return true;
    if ((anyBlock ? left.blocks : left.torn) === 0) return false;
    const done = Atomics.load(this.slots, DONE_BLOCKS);
    if (!done) return true;
    const perBlock = Atomics.load(this.slots, DONE_MS) / done;
    return (left.torn + left.blocks) * perBlock >= Atomics.load(this.slots, OPEN_MS);
  }
}
