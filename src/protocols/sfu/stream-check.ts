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
 * - Without an info block (third-party firmware), the image must at least start like firmware: a
 *   vector table whose SP is in SRAM and word-aligned and whose reset PC is a Thumb address in
 *   flash, at image offset 0x100 (RP2040: boot2 comes first, reference §3.4) or at offset 0 (the
 *   STM32F4 original). The device checks the exact slot range itself when that page is written;
 *   this only keeps random bytes and fragments from being sent and signed.
 *
 * Pure: no I/O. The message never names the file; the caller does.
 */
import { readAppInfo, isAppInfo } from '../appinfo.js';
import { decodeBin2PageStream } from './bin2page.js';
import { BIN2PAGE_BLOCK, BIN2PAGE_FULL_FORMAT, BIN2PAGE_MAGIC, isBin2Page } from './bin2page-format.js';
import { hex, hex32 } from '../../core/hex.js';

export interface SfuStreamCheckOptions {
  /**
   * Require hilrig's app info block (default true). Off, an image without the block must still
   * start with a plausible vector table (firmware that does not carry one); an image with an
   * intact block still gets its lengths checked.
   */
  requireInfo?: boolean;
  /**
   * With requireInfo off, whether an image without the block must show a vector table (default
   * true). Off for callers that refuse such an image themselves with a message of their own.
   */
  vectorTableWithoutInfo?: boolean;
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

/** A stream offset: as short as it is (`0x1F00`). */
const offset = (n: number): string => hex(n, { width: 0 });

/** Throws an SfuStreamProblem saying the first thing wrong with `stream`; returns what it found otherwise. */
export function checkSfuStream(stream: Uint8Array, opts: SfuStreamCheckOptions = {}): SfuStreamFacts {
  if (!(stream instanceof Uint8Array)) throw new TypeError('checkSfuStream: stream must be a Buffer or Uint8Array');
  if (stream.length === 0) throw new SfuStreamProblem('the stream is empty');
  const requireInfo = opts.requireInfo ?? true;
  const vectors = (image: Buffer, how: string) => {
    if (opts.vectorTableWithoutInfo ?? true) checkVectorTable(image, how);
  };
  if (isBin2Page(stream)) {
    checkBin2PageStructure(stream);
    const decodedA = decodeBin2PageStream(stream, 'A');
    if (!requireInfo && !isAppInfo(readAppInfo(decodedA))) {
      vectors(decodedA, 'decoded for slot A');
      vectors(decodeBin2PageStream(stream, 'B'), 'decoded for slot B');
      return { format: 'bin2page' };
    }
    const a = checkImage(decodedA, 'decoded for slot A');
    checkImage(decodeBin2PageStream(stream, 'B'), 'decoded for slot B');
    return { format: 'bin2page', ...a };
  }
  const raw = Buffer.from(stream.buffer, stream.byteOffset, stream.length);
  if (!requireInfo && !isAppInfo(readAppInfo(raw))) {
    vectors(raw, 'as a RAW image');
    return { format: 'raw' };
  }
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
    if (why) throw new SfuStreamProblem(`BIN2Page block ${index} (stream offset ${offset(at)}): ${why}`, at);
  }
}

/** Why the device's decoder would count an error on this 256-byte block, or undefined. */
function blockProblem(block: Uint8Array): string | undefined {
  const header = block[0]!;
  if (!(header & BIN2PAGE_FULL_FORMAT)) return `header ${hex(header, { width: 2 })} is not in the full format (bit 7 clear)`;
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
    throw new SfuStreamProblem(`truncated: the app info block says the image is ${info.imageLength} bytes, but ${how} it is only ${image.length}`);
  }
  for (let i = info.imageLength; i < image.length; i++) {
    if (image[i] !== 0xff) {
      throw new SfuStreamProblem(
        `${how}, byte ${offset(i)} is ${hex(image[i]!, { width: 2 })}, past the image's end (${info.imageLength} bytes, ` + 'from its app info block), where only erased 0xFF may follow',
      );
    }
  }
  return { version: info.version, imageLength: info.imageLength };
}

/** SP in SRAM (0x20…, or the F4's CCM 0x10…), word-aligned; PC odd (Thumb) and in flash (XIP 0x10…, F4 0x08…). */
function plausibleVectors(image: Buffer, at: number, pcTop: readonly number[]): boolean {
  if (image.length < at + 8) return false;
  const sp = image.readUInt32LE(at);
  const pc = image.readUInt32LE(at + 4);
  const spTop = sp >>> 24;
  return (spTop === 0x20 || (at === 0 && spTop === 0x10)) && sp % 4 === 0 && (pc & 1) === 1 && pcTop.includes(pc >>> 24);
}

/** An image without an info block must at least begin like firmware (see the module comment). */
function checkVectorTable(image: Buffer, how: string): void {
  if (plausibleVectors(image, 0x100, [0x10]) || plausibleVectors(image, 0, [0x08])) return;
  const words = (at: number) => (image.length >= at + 8 ? `SP ${hex32(image.readUInt32LE(at))}, PC ${hex32(image.readUInt32LE(at + 4))}` : 'missing');
  throw new SfuStreamProblem(
    `no app info block and no vector table ${how}: at offset 0x100 (RP2040) ${words(0x100)}, at offset 0 (STM32F4) ${words(0)}; ` +
      'firmware starts with SP in SRAM and a Thumb reset address in flash (random bytes or a fragment?)',
  );
}
