/**
 * Issue 8 defect 13: `hil sfu upload` and `hil cut` certified truncated and random images. The
 * stream check refuses them before anything is sent; whole images of every kind pass.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSamplePair } from '../../../src/firmware/sample-app.js';
import { Bin2PageDecoder, SfuStreamProblem, checkSfuStream, encodeBin2Page } from '../../../src/protocols/sfu/index.js';
import { seededBytes } from './helpers.js';

const FIRMWARE = join(import.meta.dirname, '../../../firmware');
const v2 = readFileSync(join(FIRMWARE, 'app-v2.page2bin'));
const v2a = readFileSync(join(FIRMWARE, 'app-v2.slotA.bin'));
const v2b = readFileSync(join(FIRMWARE, 'app-v2.slotB.bin'));

function problem(stream: Uint8Array, opts?: { requireInfo?: boolean }): string {
  try {
    checkSfuStream(stream, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(SfuStreamProblem);
    return (err as Error).message;
  }
  throw new Error('the stream was accepted');
}

/** The device's own decoder finds no error in it (what START checks). */
function deviceDecodesCleanly(stream: Buffer): boolean {
  for (const shift of [false, true]) {
    const d = new Bin2PageDecoder({ shift });
    for (let at = 0; at < stream.length; at += 256) {
      const chunk = Buffer.alloc(256, 0xff);
      chunk.set(stream.subarray(at, at + 256));
      d.pushChunk(chunk);
    }
    if (d.finish().errors) return false;
  }
  return true;
}

describe('checkSfuStream: whole images pass', () => {
  it.each([
    ['the sample BIN2Page stream', v2, 'bin2page'],
    ['the sample RAW image for slot A', v2a, 'raw'],
    ['the sample RAW image for slot B', v2b, 'raw'],
  ])('%s', (_, stream, format) => {
    expect(checkSfuStream(stream)).toEqual({ format, version: '2.0.0', imageLength: v2a.length });
  });

  it.each([0x400, 0x1000, 0x10000 + 4, 1980 * 1024])('a fresh %i-byte pair, RAW and BIN2Page, and RAW padded with 0xFF', (size) => {
    const { a, b } = buildSamplePair('3.1.4', size);
    expect(checkSfuStream(a).format).toBe('raw');
    expect(checkSfuStream(b).format).toBe('raw');
    expect(checkSfuStream(encodeBin2Page(a, b)).format).toBe('bin2page');
    expect(checkSfuStream(Buffer.concat([a, Buffer.alloc(300, 0xff)])).format).toBe('raw');
  });
});

describe('checkSfuStream: what the audit saw certified is refused', () => {
  it('`head -c 100001` of a BIN2Page stream: a cut block', () => {
    expect(problem(v2.subarray(0, 100_001))).toMatch(/100001 bytes is not the header \+ whole 256-byte blocks .*truncated/);
  });

  it('the 8-byte header alone', () => {
    expect(problem(v2.subarray(0, 8))).toMatch(/only the "BIN2Page" header: it holds no block/);
  });

  it('130 bytes: header and part of one block', () => {
    expect(problem(v2.subarray(0, 130))).toMatch(/130 bytes is not the header \+ whole/);
  });

  it('264 bytes: one whole block, too little for an image', () => {
    expect(problem(v2.subarray(0, 264))).toMatch(/no valid app info block decoded for slot A/);
  });

  it.each([1, 100, 600])('cut at a block boundary (%i blocks): shorter than its info block says', (blocks) => {
    const cut = v2.subarray(0, 8 + 256 * blocks);
    expect(problem(cut)).toMatch(blocks < 3 ? /no valid app info block|truncated/ : /truncated: the app info block says the image is 163596 bytes/);
  });

  it('a truncated RAW image', () => {
    expect(problem(v2b.subarray(0, 100_000))).toMatch(/truncated: .* 163596 bytes, but as a RAW image it is only 100000/);
  });

  it.each([1, 2, 3, 4, 5])('random bytes (seed %i), as RAW and behind the BIN2Page magic', (seed) => {
    const random = seededBytes(seed, 4096 + seed * 997);
    expect(problem(random)).toMatch(/no valid app info block as a RAW image/);
    const fake = Buffer.concat([Buffer.from('BIN2Page', 'latin1'), seededBytes(seed, 256 * 8)]);
    expect(problem(fake)).toMatch(/BIN2Page block|app info block|truncated/);
  });

  it('bytes appended after the image (not erased 0xFF)', () => {
    expect(problem(Buffer.concat([v2b, Buffer.from('junk')]))).toMatch(/past the image's end \(163596 bytes/);
  });

  it('a damaged block is named with its stream offset, and it is one the device would count as an error', () => {
    const bad = Buffer.from(v2);
    bad[8 + 256 * 7] = 0x05; // small-format header
    expect(problem(bad)).toBe('BIN2Page block 7 (stream offset 0x708): header 0x05 is not in the full format (bit 7 clear)');
    expect(deviceDecodesCleanly(bad)).toBe(false);
    const unordered = Buffer.from(v2);
    const at = 8 + 256 * 3;
    const count = unordered[at]! & 0x7f;
    let pos = at + 1;
    while (unordered[pos] === 0xff) pos++;
    if (count - (pos - at - 1) >= 2) {
      [unordered[pos], unordered[pos + 1]] = [unordered[pos + 1]!, unordered[pos]!];
      expect(problem(unordered)).toMatch(/block 3 .*not strictly increasing/);
      expect(deviceDecodesCleanly(unordered)).toBe(false);
    }
    expect(deviceDecodesCleanly(v2)).toBe(true);
  });
});

/** Firmware without hilrig's info block: a vector table at `at` (SP, reset PC) and filler bytes. */
function foreignFirmware(at: 0 | 0x100, sp: number, pc: number, size = 4096): Buffer {
  const image = seededBytes(11, size);
  image.fill(0xff, 0x200, 0x240); // no info block where ours would be
  image.writeUInt32LE(sp, at);
  image.writeUInt32LE(pc, at + 4);
  return image;
}

describe('checkSfuStream for firmware without the info block (hil sfu upload without --require-info-block)', () => {
  it('takes RP2040 and STM32F4 firmware with a plausible vector table, as RAW and as BIN2Page', () => {
    expect(checkSfuStream(foreignFirmware(0x100, 0x20042000, 0x100101f7), { requireInfo: false })).toEqual({ format: 'raw' });
    expect(checkSfuStream(foreignFirmware(0, 0x20030000, 0x080001c5), { requireInfo: false })).toEqual({ format: 'raw' });
    expect(checkSfuStream(foreignFirmware(0, 0x10010000, 0x080001c5), { requireInfo: false })).toEqual({ format: 'raw' }); // F4 CCM stack
    const a = foreignFirmware(0x100, 0x20042000, 0x100101f7);
    const b = Buffer.from(a);
    b.writeUInt32LE(0x102101f7, 0x104);
    expect(checkSfuStream(encodeBin2Page(a, b), { requireInfo: false })).toEqual({ format: 'bin2page' });
  });

  it.each([
    ['random bytes', seededBytes(9, 5000)],
    ['an even (ARM, not Thumb) reset PC', foreignFirmware(0x100, 0x20042000, 0x100101f6)],
    ['a stack outside SRAM', foreignFirmware(0x100, 0x30000000, 0x100101f7)],
    ['an unaligned stack', foreignFirmware(0x100, 0x20041ffe, 0x100101f7)],
    ['a reset PC outside flash', foreignFirmware(0x100, 0x20042000, 0x200001f7)],
    ['a fragment shorter than the vector table', foreignFirmware(0x100, 0x20042000, 0x100101f7).subarray(0, 0x104)],
  ])('refuses %s', (_what, image) => {
    expect(problem(image, { requireInfo: false })).toMatch(/no app info block and no vector table as a RAW image/);
  });

  it('checks BIN2Page structure, and both decodings', () => {
    expect(problem(v2.subarray(0, 8), { requireInfo: false })).toMatch(/holds no block/);
    expect(problem(v2.subarray(0, 100_001), { requireInfo: false })).toMatch(/whole 256-byte blocks/);
  });

  it('still checks the lengths of an image that has an info block', () => {
    expect(problem(v2.subarray(0, 8 + 256 * 300), { requireInfo: false })).toMatch(/truncated/);
    expect(problem(v2b.subarray(0, 100_000), { requireInfo: false })).toMatch(/truncated/);
  });

  it('refuses an empty stream and a non-buffer', () => {
    expect(problem(Buffer.alloc(0))).toMatch(/empty/);
    expect(() => checkSfuStream('BIN2Page' as unknown as Buffer)).toThrow(TypeError);
  });
});
