/**
 * Is this upload stream whole? Checked before anything is sent or erased (issue 8 defect 13): the
 * device signs whatever arrives with a matching CRC, so a truncated file, a header-only BIN2Page
 * stream or random bytes would be certified as an update.
 *
 * - BIN2Page (reference/sfu-protocol.md §4.2, §4.4): the 8-byte magic, then whole 256-byte blocks
 *   only (8 + 256·k bytes, k ≥ 1: the device drops a partial block silently); every block in the
 *   full format, its padding, offsets and substitutions inside the block, offsets strictly
 *   increasing and inside the block's data (what the device's decoder would count as errors).
 * - The app info block (src/protocols/appinfo.ts) of the image the device will hold: for
 *   BIN2Page, of both decodings (slot A and slot B); for RAW, of the bytes themselves. It must be
 *   intact, the bytes must reach its imageLength (else the file was cut short), and whatever
 *   follows imageLength must be erased flash (0xFF), as the encoder pads.
 *
 * Pure: no I/O. The message never names the file; the caller does.
 */
import { readAppInfo, isAppInfo } from '../appinfo.js';
import { decodeBin2PageStream } from './bin2page.js';
import { BIN2PAGE_BLOCK, BIN2PAGE_FULL_FORMAT, BIN2PAGE_MAGIC, isBin2Page } from './bin2page-format.js';

export interface SfuStreamCheckOptions {
  /**
   * Require hilrig's app info block (default true). Off, an image without the block is taken
   * as it is (firmware that does not carry one: only the BIN2Page structure is checked); an image
   * with an intact block still gets its lengths checked.
   */
  requireInfo?: boolean;
}

export interface SfuStreamFacts {
  format: 'bin2page' | 'raw';
  /** From the info block, when one was required and found. */
  version?: string;
  imageLength?: number;
}

/** What is wrong with a stream; the message does not name the file. */
export class SfuStreamProblem extends Error {
  constructor(
    message: string,
    /** Stream offset the problem is at, when there is one. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'SfuStreamProblem';
  }
}

const hex = (n: number): string => `0x${n.toString(16).toUpperCase()}`;

/** Throws an SfuStreamProblem saying the first thing wrong with `stream`; returns what it found otherwise. */
export function checkSfuStream(stream: Uint8Array, opts: SfuStreamCheckOptions = {}): SfuStreamFacts {
  if (!(stream instanceof Uint8Array)) throw new TypeError('checkSfuStream: stream must be a Buffer or Uint8Array');
  if (stream.length === 0) throw new SfuStreamProblem('the stream is empty');
  const requireInfo = opts.requireInfo ?? true;
  if (isBin2Page(stream)) {
    checkBin2PageStructure(stream);
    const decodedA = decodeBin2PageStream(stream, 'A');
    if (!requireInfo && !isAppInfo(readAppInfo(decodedA))) return { format: 'bin2page' };
    const a = checkImage(decodedA, 'decoded for slot A');
    checkImage(decodeBin2PageStream(stream, 'B'), 'decoded for slot B');
    return { format: 'bin2page', ...a };
  }
  const raw = Buffer.from(stream.buffer, stream.byteOffset, stream.length);
  if (!requireInfo && !isAppInfo(readAppInfo(raw))) return { format: 'raw' };
  return { format: 'raw', ...checkImage(raw, 'as a RAW image') };
}

/** Header, whole blocks, and every block as the device's decoder reads it (reference §4.4). */
function checkBin2PageStructure(stream: Uint8Array): void {
  const head = BIN2PAGE_MAGIC.length;
  const body = stream.length - head;
  if (body === 0) throw new SfuStreamProblem(`BIN2Page stream of ${stream.length} bytes is only the "BIN2Page" header: it holds no block`);
  if (body % BIN2PAGE_BLOCK !== 0) {
    const whole = Math.floor(body / BIN2PAGE_BLOCK);
    throw new SfuStreamProblem(
      `BIN2Page stream of ${stream.length} bytes is not the header + whole ${BIN2PAGE_BLOCK}-byte blocks ` +
        `(${whole} whole block(s) and ${body % BIN2PAGE_BLOCK} byte(s) of a cut one): the file is truncated or is not BIN2Page`,
      head + whole * BIN2PAGE_BLOCK,
    );
  }
  for (let at = head, index = 0; at < stream.length; at += BIN2PAGE_BLOCK, index++) {
    const why = blockProblem(stream.subarray(at, at + BIN2PAGE_BLOCK));
    if (why) throw new SfuStreamProblem(`BIN2Page block ${index} (stream offset ${hex(at)}): ${why}`, at);
  }
}

/** Why the device's decoder would count an error on this 256-byte block, or undefined. */
function blockProblem(block: Uint8Array): string | undefined {
  const header = block[0]!;
  if (!(header & BIN2PAGE_FULL_FORMAT)) return `header 0x${header.toString(16).padStart(2, '0')} is not in the full format (bit 7 clear)`;
  let count = header & 0x7f;
  let pos = 1;
  while (count > 0 && pos < BIN2PAGE_BLOCK && block[pos] === 0xff) {
    pos++;
    count--;
  }
  if (pos >= BIN2PAGE_BLOCK) return 'its padding runs to the end of the block';
  const data = pos + 2 * count;
  if (data > BIN2PAGE_BLOCK) return `${count} substitutions do not fit the block`;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const offset = block[pos + i]!;
    if (offset <= previous) return `substitution offsets are not strictly increasing (${offset} after ${previous})`;
    if (data + offset >= BIN2PAGE_BLOCK) return `substitution offset ${offset} is past the block's ${BIN2PAGE_BLOCK - data} data bytes`;
    previous = offset;
  }
  return undefined;
}

/** The info block of the image the device will hold, and the lengths around it. */
function checkImage(image: Buffer, how: string): { version: string; imageLength: number } {
  const info = readAppInfo(image);
  if (!isAppInfo(info)) throw new SfuStreamProblem(`no valid app info block ${how} (${info.error})`);
  if (info.imageLength > image.length) {
    throw new SfuStreamProblem(
      `truncated: the app info block says the image is ${info.imageLength} bytes, but ${how} it is only ${image.length}`,
    );
  }
  for (let i = info.imageLength; i < image.length; i++) {
    if (image[i] !== 0xff) {
      throw new SfuStreamProblem(
        `${how}, byte ${hex(i)} is 0x${image[i]!.toString(16).padStart(2, '0')}, past the image's end (${info.imageLength} bytes, ` +
          'from its app info block), where only erased 0xFF may follow',
      );
    }
  }
  return { version: info.version, imageLength: info.imageLength };
}
