/** BIN2Page: one upload file that the device turns into the A or the B image (reference §4). */
import { Bin2PageDecoder } from './bin2page-decoder.js';
import { BIN2PAGE_BLOCK } from './bin2page-format.js';

export { BIN2PAGE_BLOCK, BIN2PAGE_BLOCK_THRESHOLD, BIN2PAGE_FULL_FORMAT, BIN2PAGE_MAGIC, isBin2Page } from './bin2page-format.js';
export { encodeBin2Page } from './bin2page-encoder.js';
export { Bin2PageDecoder, type Bin2PageChunkResult, type Bin2PageFinishResult, type Bin2PageMode } from './bin2page-decoder.js';

/**
 * What lands in flash for slot A or B when `stream` (BIN2Page or RAW) is uploaded in one session:
 * 256-byte chunks, the last padded with 0xFF as the device does, then the START flush.
 */
export function decodeBin2PageStream(stream: Uint8Array, slot: 'A' | 'B'): Buffer {
  const decoder = new Bin2PageDecoder({ shift: slot === 'B' });
  const pages: Buffer[] = [];
  for (let at = 0; at < stream.length; at += BIN2PAGE_BLOCK) {
    const chunk = Buffer.alloc(BIN2PAGE_BLOCK, 0xff);
    chunk.set(stream.subarray(at, at + BIN2PAGE_BLOCK));
    pages.push(...decoder.pushChunk(chunk).pages);
  }
  pages.push(...decoder.finish().pages);
  return Buffer.concat(pages);
}
