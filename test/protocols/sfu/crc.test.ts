import { describe, expect, it } from '@jest/globals';
import { crc32Ieee, sfuCrc } from '../../../src/protocols/sfu/crc.js';
import { seededBytes } from './helpers.js';

/** CRC-32/MPEG-2, bit by bit over bytes: an independent definition to check the table against. */
function crc32Mpeg2(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

function swapWords(data: Uint8Array): Buffer {
  const out = Buffer.from(data);
  return out.swap32();
}

describe('sfuCrc (STM32 style)', () => {
  it('matches the check values from the device self-test', () => {
    expect(sfuCrc(Buffer.from('12345678'))).toBe(0xfefc54f9);
    expect(sfuCrc(Buffer.from('TESTABCD'))).toBe(0xb9cf5238);
  });

  it('is CRC-32/MPEG-2 over the data with each 4-byte group reversed', () => {
    for (const [seed, length] of [
      [1, 4],
      [2, 64],
      [3, 1000],
      [4, 4096],
    ] as const) {
      const data = seededBytes(seed, length);
      expect(sfuCrc(data)).toBe(crc32Mpeg2(swapWords(data)));
    }
  });

  it('returns the init value for empty data (no final xor)', () => {
    expect(sfuCrc(new Uint8Array(0))).toBe(0xffffffff);
    expect(sfuCrc(new Uint8Array(0), 0x12345678)).toBe(0x12345678);
  });

  it('chains: the previous value as init continues the computation', () => {
    const data = seededBytes(5, 4096);
    const whole = sfuCrc(data);
    expect(sfuCrc(data.subarray(1000), sfuCrc(data.subarray(0, 1000)))).toBe(whole);
    expect(sfuCrc(data.subarray(4), sfuCrc(data.subarray(0, 4)))).toBe(whole);
  });

  it('works on unaligned views into a larger buffer', () => {
    const backing = seededBytes(6, 1001);
    const view = backing.subarray(1, 1001);
    expect(sfuCrc(view)).toBe(crc32Mpeg2(swapWords(view)));
  });

  it('rejects lengths that are not whole words', () => {
    expect(() => sfuCrc(Buffer.from('123'))).toThrow(RangeError);
    expect(() => sfuCrc(Buffer.from('12345'))).toThrow(RangeError);
  });

  // Its speed (200 MB/s or more here) is measured by `npx tsx bench/crc.ts`, not asserted: a test must
  // not depend on how busy the machine is.
});

describe('crc32Ieee (zlib)', () => {
  it('matches the check values from the device self-test', () => {
    expect(crc32Ieee(Buffer.from('12345678'))).toBe(0x9ae0daaf);
    expect(crc32Ieee(Buffer.from('TESTABCD'))).toBe(0x1fa79460);
  });

  it('gives 0xE040107A for a fully erased 1980 KiB slot', () => {
    expect(crc32Ieee(Buffer.alloc(1980 * 1024, 0xff))).toBe(0xe040107a);
  });

  it('chains through prev', () => {
    const data = seededBytes(7, 999);
    expect(crc32Ieee(data.subarray(500), crc32Ieee(data.subarray(0, 500)))).toBe(crc32Ieee(data));
  });

  it('differs from the packet CRC on the same data', () => {
    const data = Buffer.from('12345678');
    expect(crc32Ieee(data)).not.toBe(sfuCrc(data));
  });
});
