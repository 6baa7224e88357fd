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
/** Blocks taken from either end of the list (claimFromEnd): front count in the low 16 bits, back count in the high. */
const ENDS = 7;
const SLOTS = 8;
const END_BITS = 16;
const FRONT_MASK = (1 << END_BITS) - 1;

export class SweepPace {
  private readonly slots: Int32Array;

  /** Over `buffer` (from another thread), or a new one. */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * 4)) {
    this.slots = new Int32Array(buffer);
  }

  /** The next block any session can run (each is taken once, by whichever session asks first). */
  claim(): number {
    return Atomics.add(this.slots, NEXT_BLOCK, 1);
  }

  /**
   * The next of `total` blocks from the front of the list (`front`) or from its back, or -1 once
   * the two ends have met. Sessions that take from opposite ends each run a stretch of consecutive
   * ops (a board's recoveries share tails only within one session: see ./share.ts's `ends`).
   */
  claimFromEnd(front: boolean, total: number): number {
    if (total > FRONT_MASK) throw new RangeError(`a sweep of ${total} blocks: at most ${FRONT_MASK} are claimed from the ends`);
    for (;;) {
      const w = Atomics.load(this.slots, ENDS);
      const taken = { front: w & FRONT_MASK, back: w >>> END_BITS };
      if (taken.front + taken.back >= total) return -1;
      const next = front ? w + 1 : w + (1 << END_BITS);
      if (Atomics.compareExchange(this.slots, ENDS, w, next) === w) return front ? taken.front : total - 1 - taken.back;
    }
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
    const ends = Atomics.load(this.slots, ENDS);
    const taken = Atomics.load(this.slots, NEXT_BLOCK) + (ends & FRONT_MASK) + (ends >>> END_BITS);
    return { blocks: Math.max(0, blocks - taken), torn: Math.max(0, torn - Atomics.load(this.slots, NEXT_TORN)) };
  }

  /**
   * Whether a worker should record the update to take torn blocks (`anyBlock`: blocks of every
   * mode, which only a session that recorded can run: see ./share.ts's `ends`): no while every such
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
