/** The flash's copy-free readings a sweep leans on: readInto and crc32 give what read gives. */
import { describe, expect, it } from '@jest/globals';
import { crc32 } from 'node:zlib';
import { W25Q32 } from '../../src/twin/flash/geometry.js';
import { NorFlash } from '../../src/twin/flash/nor-flash.js';

function flash(): NorFlash {
  const f = new NorFlash(W25Q32);
  const data = Buffer.from(Array.from({ length: 3 * 4096 + 100 }, (_, i) => (i * 131 + 7) & 0xff));
  f.writeRaw(W25Q32.base + 0x2000 - 50, data);
  return f;
}

describe('flash readings', () => {
  it('readInto fills the caller buffer with what read returns, across sectors and unaligned', () => {
    const f = flash();
    const at = W25Q32.base + 0x1fff;
    const out = Buffer.alloc(3 * 4096 + 77, 0xaa);
    expect(f.readInto(at, out)).toBe(out);
    expect(out).toEqual(f.read(at, out.length));
  });

  it('crc32 over a range equals zlib crc32 of the bytes read, erased sectors included', () => {
    const f = flash();
    for (const [at, n] of [
      [W25Q32.base, 0x10000],
      [W25Q32.base + 0x1fff, 3 * 4096 + 77],
      [W25Q32.base + 5, 1],
    ] as const) {
      expect(f.crc32(at, n)).toBe(crc32(f.read(at, n)) >>> 0);
    }
  });
});
