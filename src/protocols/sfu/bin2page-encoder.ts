/** Reference BIN2Page encoder (reference/sfu-protocol.md §4.3): A as data, B as substitutions. */
import { BIN2PAGE_BLOCK, BIN2PAGE_BLOCK_THRESHOLD, BIN2PAGE_FULL_FORMAT, BIN2PAGE_MAGIC } from './bin2page-format.js';

/** One block under construction: data bytes from A, and where B differs. */
class BlockBuilder {
  readonly data: number[] = [];
  readonly offsets: number[] = [];
  readonly substitutions: number[] = [];

  add(a: number, b: number): void {
    this.data.push(a);
    if (a !== b) {
      this.offsets.push(this.data.length - 1);
      this.substitutions.push(b);
    }
  }

  get used(): number {
    return 1 + 2 * this.offsets.length + this.data.length;
  }

  /** Padding goes right after the header: 0xFF can never be an offset (max 252), so it is unambiguous. */
  emit(): Buffer {
    const padding = BIN2PAGE_BLOCK - this.used;
    const block = Buffer.alloc(BIN2PAGE_BLOCK, 0xff);
    block[0] = BIN2PAGE_FULL_FORMAT | (this.offsets.length + padding);
    let at = 1 + padding;
    for (const list of [this.offsets, this.substitutions, this.data]) {
      block.set(list, at);
      at += list.length;
    }
    return block;
  }
}

/**
 * Encodes two equal-length images. Past the end both read as 0xFF, and the last block is filled
 * with such positions, so even an empty input yields one block and decoding only adds 0xFF.
 */
export function encodeBin2Page(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) {
    throw new RangeError(`encodeBin2Page: images differ in length (${a.length} vs ${b.length})`);
  }
  const blocks: Buffer[] = [Buffer.from(BIN2PAGE_MAGIC)];
  let builder = new BlockBuilder();
  for (let position = 0; ;) {
    const inside = position < a.length;
    builder.add(inside ? a[position]! : 0xff, inside ? b[position]! : 0xff);
    position += 1;
    if (builder.used < BIN2PAGE_BLOCK_THRESHOLD) continue;
    blocks.push(builder.emit());
    builder = new BlockBuilder();
    if (position >= a.length) break;
  }
  return Buffer.concat(blocks);
}
