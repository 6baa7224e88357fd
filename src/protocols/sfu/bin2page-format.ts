/** BIN2Page stream layout shared by the encoder and the decoder (reference/sfu-protocol.md §4.2). */

/** Magic at stream offset 0; no extra info bytes follow, blocks start at offset 8. */
export const BIN2PAGE_MAGIC: Readonly<Buffer> = Buffer.from('BIN2Page', 'latin1');
/** Input block and output page size: offsets are one byte, so blocks cannot grow. */
export const BIN2PAGE_BLOCK = 256;
/** Header bit 7: the "full" format. Without it a block is the unsupported "small" format. */
export const BIN2PAGE_FULL_FORMAT = 0x80;
/** A block stops taking positions once header + offsets + substitutions + data reach this. */
export const BIN2PAGE_BLOCK_THRESHOLD = 254;

/** Whether a stream starts with the magic the device looks for (case-sensitive). */
export function isBin2Page(stream: Uint8Array): boolean {
  return stream.length >= BIN2PAGE_MAGIC.length && BIN2PAGE_MAGIC.equals(stream.subarray(0, BIN2PAGE_MAGIC.length));
}
