/**
 * Device-faithful streaming BIN2Page decoder (reference/sfu-protocol.md §4.4). The twin feeds it
 * exactly what the device would, so structural errors must come out exactly as on hardware:
 * wrong-looking output is the point, not a bug to fix here.
 */
import { BIN2PAGE_BLOCK, BIN2PAGE_FULL_FORMAT, BIN2PAGE_MAGIC, isBin2Page } from './bin2page-format.js';

export type Bin2PageMode = 'detect' | 'active' | 'bypass';

export interface Bin2PageChunkResult {
  /** Complete 256-byte output pages, in flash order. */
  pages: Buffer[];
  /** Console line printed on the first chunk (the detection verdict). */
  message?: string;
}

export interface Bin2PageFinishResult {
  pages: Buffer[];
  paddingAdded: number;
  errors: number;
  /** Console lines the device prints at finish (padding and error summary), possibly none. */
  messages: string[];
}

export class Bin2PageDecoder {
  private readonly shift: boolean;
  private state: Bin2PageMode = 'detect';
  private readonly block = Buffer.alloc(BIN2PAGE_BLOCK);
  private blockFill = 0;
  private readonly page = Buffer.alloc(BIN2PAGE_BLOCK);
  private pageFill = 0;
  private errorCount = 0;

  /** `shift`: true when writing slot B (apply B's substitutions), false for slot A. */
  constructor(opts: { shift: boolean }) {
    this.shift = opts.shift;
  }

  get errors(): number {
    return this.errorCount;
  }

  get mode(): Bin2PageMode {
    return this.state;
  }

  /** What ERASE does: forget the format verdict, buffers and errors. */
  reset(): void {
    this.state = 'detect';
    this.blockFill = 0;
    this.pageFill = 0;
    this.errorCount = 0;
  }

  /** One 256-byte chunk of WRITE data (the device pads a short last chunk with 0xFF itself). */
  pushChunk(chunk: Uint8Array): Bin2PageChunkResult {
    if (chunk.length !== BIN2PAGE_BLOCK) {
      throw new RangeError(`Bin2PageDecoder: chunks must be ${BIN2PAGE_BLOCK} bytes, got ${chunk.length}`);
    }
    const pages: Buffer[] = [];
    let message: string | undefined;
    let input = chunk;
    if (this.state === 'detect') {
      // Only the first chunk after reset decides; a magic appearing later is just data.
      if (isBin2Page(chunk)) {
        this.state = 'active';
        input = chunk.subarray(BIN2PAGE_MAGIC.length);
        message = `BIN2Page: OK, activated, ${this.shift ? 'with shifting' : 'NO shifting'}\n`;
      } else {
        this.state = 'bypass';
        message = 'BIN2Page: Bypass mode\n';
      }
    }
    if (this.state === 'bypass') pages.push(Buffer.from(chunk));
    else this.feed(input, pages);
    return message === undefined ? { pages } : { pages, message };
  }

  /**
   * What START does: pad and emit a partly filled output page. A partly filled *input* block is
   * left unused, as on the device (it never becomes output).
   */
  finish(): Bin2PageFinishResult {
    const pages: Buffer[] = [];
    const messages: string[] = [];
    const paddingAdded = this.pageFill === 0 ? 0 : BIN2PAGE_BLOCK - this.pageFill;
    if (paddingAdded > 0) {
      this.page.fill(0xff, this.pageFill);
      this.pageFill = BIN2PAGE_BLOCK;
      this.flushPage(pages);
      messages.push(`bin2page_finish: ${paddingAdded} bytes padding added\n`);
    }
    if (this.errorCount !== 0) messages.push(`bin2page_finish: Finished with ${this.errorCount} errors\n`);
    return { pages, paddingAdded, errors: this.errorCount, messages };
  }

  private feed(input: Uint8Array, pages: Buffer[]): void {
    let i = 0;
    while (i < input.length) {
      const take = Math.min(BIN2PAGE_BLOCK - this.blockFill, input.length - i);
      this.block.set(input.subarray(i, i + take), this.blockFill);
      this.blockFill += take;
      i += take;
      if (this.blockFill === BIN2PAGE_BLOCK) {
        this.blockFill = 0;
        this.output(this.decodeBlock(), pages);
      }
    }
  }

  /** Returns the slice of the (possibly patched) block that becomes output. */
  private decodeBlock(): Buffer {
    const block = this.block;
    const header = block[0]!;
    let count = header & 0x7f;
    let pos = 1;
    // Leading 0xFF bytes are padding and count towards the header's number.
    while (count > 0 && pos < BIN2PAGE_BLOCK && block[pos] === 0xff) {
      pos += 1;
      count -= 1;
    }
    if (pos >= BIN2PAGE_BLOCK) return this.structuralError(block);
    if ((header & BIN2PAGE_FULL_FORMAT) === 0) {
      // Small format is unsupported: the device still outputs everything after the padding.
      this.errorCount += 1;
      return block.subarray(pos);
    }
    const substitutions = pos + count;
    const dataStart = pos + 2 * count;
    if (pos + count > BIN2PAGE_BLOCK || substitutions + count > BIN2PAGE_BLOCK || dataStart > BIN2PAGE_BLOCK) {
      return this.structuralError(block);
    }
    if (this.shift) this.applySubstitutions(pos, substitutions, dataStart, count);
    return block.subarray(dataStart);
  }

  /**
   * Targets must be in range and strictly increasing; a bad one is counted and skipped without
   * moving the "previous target", so one corrupt offset does not condemn the rest of the block.
   */
  private applySubstitutions(offsetsAt: number, substitutionsAt: number, dataStart: number, count: number): void {
    const block = this.block;
    let previous = dataStart - 1;
    for (let i = 0; i < count; i++) {
      const target = dataStart + block[offsetsAt + i]!;
      if (target >= BIN2PAGE_BLOCK || target <= previous) {
        this.errorCount += 1;
        continue;
      }
      block[target] = block[substitutionsAt + i]!;
      previous = target;
    }
  }

  /** An undecodable block goes to flash raw, header and all. */
  private structuralError(block: Buffer): Buffer {
    this.errorCount += 1;
    return block;
  }

  private output(bytes: Uint8Array, pages: Buffer[]): void {
    let i = 0;
    while (i < bytes.length) {
      const take = Math.min(BIN2PAGE_BLOCK - this.pageFill, bytes.length - i);
      this.page.set(bytes.subarray(i, i + take), this.pageFill);
      this.pageFill += take;
      i += take;
      this.flushPage(pages);
    }
  }

  private flushPage(pages: Buffer[]): void {
    if (this.pageFill < BIN2PAGE_BLOCK) return;
    pages.push(Buffer.from(this.page));
    this.pageFill = 0;
  }
}
